using WechatGateway.Operations;

namespace WechatGateway.Segments;

public static class SegmentsServiceExtensions
{
    /// <summary>Saved segments: their store, validation and queries.</summary>
    public static IServiceCollection AddSegments(this IServiceCollection services, GatewayOptions gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        services.AddSingleton<SegmentStore>();
        services.AddSingleton<SegmentQueries>();
        services.AddSingleton<SegmentValidation>();
        return services;
    }
}
