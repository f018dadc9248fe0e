using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace WechatGateway.Tests.Infrastructure;

/// <summary>One HTTP method of one mapped route, as the running gateway has it.</summary>
public sealed record MappedEndpoint(string Method, string Pattern, IReadOnlyList<string> Policies)
{
    public bool IsAdmin => Pattern.StartsWith("/api/admin", StringComparison.Ordinal);

    public bool IsMiniProgram => Pattern.StartsWith("/api/mp", StringComparison.Ordinal);

    public bool IsWrite => Method is "POST" or "PUT" or "PATCH" or "DELETE";

    /// <summary>The route with each parameter replaced by <paramref name="value"/> (appId parameters by <paramref name="appId"/>).</summary>
    public string Url(string value, string? appId = null) =>
        Regex.Replace(Pattern, @"\{\*{0,2}([A-Za-z]+)[^}]*\}", m => m.Groups[1].Value == "appId" && appId is not null ? appId : Uri.EscapeDataString(value));

    public override string ToString() => $"{Method} {Pattern}";
}

public static class MappedEndpoints
{
    /// <summary>Every route the shared test gateway maps, read from its <see cref="EndpointDataSource"/>.</summary>
    public static IReadOnlyList<MappedEndpoint> All()
    {
        var source = TestEnvironment.Gateway.Services.GetRequiredService<EndpointDataSource>();
        return source.Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => new MappedEndpoint(
                method,
                "/" + (e.RoutePattern.RawText ?? "").Trim('/'),
                e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct().ToList())))
            .Where(e => e.Method != "OPTIONS")
            .ToList();
    }

    public static IReadOnlyList<MappedEndpoint> Admin() => All().Where(e => e.IsAdmin).ToList();
}
