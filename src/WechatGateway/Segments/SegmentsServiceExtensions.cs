using WechatGateway.Operations;

namespace WechatGateway.Segments;

public static class SegmentsServiceExtensions
{
    /// <summary>Saved segments, the consumer profile they filter on (tags, RFM) and its jobs.</summary>
    public static IServiceCollection AddSegments(this IServiceCollection services, GatewayOptions gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        services.AddSingleton<SegmentStore>();
        return services;
    }
}
