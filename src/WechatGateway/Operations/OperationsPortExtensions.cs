namespace WechatGateway.Operations;

/// <summary>
/// Metrics and the API description on an internal port only (<see cref="GatewayOptions.OperationsPort"/>): the port a
/// connection arrived on is the server's, unlike the Host header, so a caller cannot claim it.
/// </summary>
public static class OperationsPortExtensions
{
    private static readonly string[] Paths = ["/metrics", "/openapi", "/docs"];

    public static IApplicationBuilder UseOperationsPort(this IApplicationBuilder app, GatewayOptions gateway) =>
        gateway.OperationsPort is not { } port
            ? app
            : app.Use(async (http, next) =>
            {
                if (http.Connection.LocalPort != port && Paths.Any(p => http.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
                {
                    http.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }

                await next(http);
            });
}
