using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace WechatGateway.Operations;

/// <summary>
/// Forwarded headers from the proxies named in <c>Gateway:KnownProxies</c>, and from no one else: the framework's
/// defaults trust loopback, and with its lists emptied it would trust every sender.
/// </summary>
public static class ProxyExtensions
{
    public static IServiceCollection AddGatewayProxies(this IServiceCollection services, GatewayOptions gateway) =>
        services.Configure<ForwardedHeadersOptions>(forwarded =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();

            // Each hop is believed only while it comes from a known proxy, so a chain of them needs no count.
            forwarded.ForwardLimit = null;
            foreach (var proxy in gateway.KnownProxies)
            {
                if (IPAddress.TryParse(proxy, out var address))
                {
                    forwarded.KnownProxies.Add(address);
                }
                else if (System.Net.IPNetwork.TryParse(proxy, out var network))
                {
                    forwarded.KnownIPNetworks.Add(network);
                }
            }
        });

    /// <summary>First in the pipeline, and only with proxies named: without them the headers are anyone's to write.</summary>
    public static IApplicationBuilder UseGatewayProxies(this IApplicationBuilder app, GatewayOptions gateway) =>
        gateway.KnownProxies.Count > 0 ? app.UseForwardedHeaders() : app;
}
