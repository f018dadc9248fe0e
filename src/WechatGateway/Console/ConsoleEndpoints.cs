using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;

// Not WechatGateway.Console: that namespace would hide System.Console from every WechatGateway.* namespace.
namespace WechatGateway.OpsConsole;

/// <summary>
/// The ops console at <c>/admin/</c>: plain ES modules and CSS embedded in this assembly (nothing to build, nothing
/// fetched from a CDN). The page holds no data of its own; everything it shows comes from <c>/api/admin</c> with the
/// key the user signed in with, so it can never do what the API would refuse.
/// </summary>
public static class ConsoleEndpoints
{
    private const string ResourcePrefix = "console/";

    // The console draws everything from its own origin; nothing inline, so an injected tag cannot run.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private static readonly Lazy<FrozenDictionary<string, Asset>> Assets = new(Load);

    private sealed record Asset(byte[] Body, string ContentType, string ETag);

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/{**path}", Serve).ExcludeFromDescription();
        return app;
    }

    public static IResult Serve(string? path, HttpContext http)
    {
        // Routing matches /admin and /admin/ alike; the page's relative links need the slash.
        if (http.Request.Path.Value is "/admin")
        {
            return TypedResults.Redirect("/admin/");
        }

        var name = string.IsNullOrEmpty(path) ? "index.html" : path;
        if (!Assets.Value.TryGetValue(name, out var asset))
        {
            return TypedResults.NotFound();
        }

        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (http.Request.Headers.IfNoneMatch == asset.ETag)
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(asset.Body, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(ConsoleEndpoints).Assembly;
        var types = new FileExtensionContentTypeProvider();
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var body = copy.ToArray();
            var name = resource[ResourcePrefix.Length..];
            var type = types.TryGetContentType(name, out var t) ? t : "application/octet-stream";
            if (type.StartsWith("text/", StringComparison.Ordinal) || type.EndsWith("javascript", StringComparison.Ordinal))
            {
                type += "; charset=utf-8";
            }

            assets[name] = new Asset(body, type, $"\"{Convert.ToHexString(SHA256.HashData(body))[..16]}\"");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
