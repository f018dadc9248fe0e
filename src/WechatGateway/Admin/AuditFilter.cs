using System.Text;

namespace WechatGateway.Admin;

/// <summary>
/// Puts every admin write, and every read of personal data (routes marked <see cref="AuditFilterExtensions.AuditReads"/>),
/// in the audit log. The row is written before the handler runs: if it cannot be, the request does not happen (503),
/// so nothing changes or is shown unaudited.
/// </summary>
public sealed class AuditFilter(AuditLog audit, ILogger<AuditFilter> logger) : IEndpointFilter
{
    private const int MaxAuditedBody = 16 * 1024;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var isRead = HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method);
        if (isRead && !IsAuditedRead(http))
        {
            return await next(context);
        }

        ulong id;
        try
        {
            id = await audit.BeginAsync(
                http.User.Actor(),
                http.User.Role().ToString(),
                http.Request.Method,
                http.Request.Path + http.Request.QueryString,
                Privacy.PersonalData.MaskPhonesIn(await ReadBodyAsync(http.Request)),
                http.Connection.RemoteIpAddress?.ToString(),
                http.RequestAborted);
        }
        catch (Exception e) when (e is MySqlConnector.MySqlException or InvalidOperationException)
        {
            logger.LogError(e, "Audit log unavailable; refusing {Method} {Path}", http.Request.Method, http.Request.Path);
            return TypedResults.Problem("The audit log is unavailable, so no change was made.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        // The status is final when the response starts (results and the exception handler set it later than here);
        // completing the row then means the caller never sees an answer before the audit row has its outcome.
        // The store is known only once the handler has found the resource (see AuditStore).
        http.Response.OnStarting(() => CompleteAsync(id, http));
        return await next(context);
    }

    /// <summary>The route is marked, and names no query parameter or this call carries it.</summary>
    private static bool IsAuditedRead(HttpContext http) =>
        http.GetEndpoint()?.Metadata.GetMetadata<AuditedRead>() is { } audited
        && (audited.OnlyWith is not { } parameter || http.Request.Query.ContainsKey(parameter));

    private async Task CompleteAsync(ulong id, HttpContext http)
    {
        try
        {
            await audit.CompleteAsync(id, http.Response.StatusCode, http.Items[AuditFilterExtensions.StoreItem] as long?, CancellationToken.None);
        }
        catch (MySqlConnector.MySqlException e)
        {
            // The request has run and its row says so (status pending): failing its answer now would only hide the outcome.
            logger.LogError(e, "Audit row {AuditId} could not be completed with status {Status}", id, http.Response.StatusCode);
        }
    }

    private static async Task<string?> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is null or 0 && !request.Headers.TransferEncoding.Any())
        {
            return null;
        }

        // Model binding has read the body before endpoint filters run; UseAdminBodyBuffering kept it for us.
        if (!request.Body.CanSeek)
        {
            return null;
        }

        request.Body.Position = 0;
        using var reader = new StreamReader(request.Body, Encoding.UTF8, leaveOpen: true);
        var buffer = new char[MaxAuditedBody];
        var read = await reader.ReadBlockAsync(buffer, request.HttpContext.RequestAborted);
        return new string(buffer, 0, read);
    }
}

/// <summary>
/// Marks a read route whose answers hold personal data: each call is audited like a write, or only the calls that
/// carry the query parameter <see cref="OnlyWith"/> (a preview is personal only when it names a member).
/// </summary>
public sealed class AuditedRead(string? onlyWith = null)
{
    public string? OnlyWith { get; } = onlyWith;
}

public static class AuditFilterExtensions
{
    internal const string StoreItem = "wg:audit-store";

    public static TBuilder AuditReads<TBuilder>(this TBuilder builder, string? onlyWithQuery = null)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new AuditedRead(onlyWithQuery));

    /// <summary>
    /// Names the store this request concerns (the store of a store route, the home store of a member), so the audit row
    /// is shown to that store's managers. Handlers call it once they know the resource.
    /// </summary>
    public static void AuditStore(this HttpContext http, long? storeId) => http.Items[StoreItem] = storeId is > 0 ? storeId : null;

    /// <summary>Keeps admin request bodies readable after model binding, so <see cref="AuditFilter"/> can record them.</summary>
    public static IApplicationBuilder UseAdminBodyBuffering(this IApplicationBuilder app) =>
        app.UseWhen(
            http => http.Request.Path.StartsWithSegments("/api/admin", StringComparison.OrdinalIgnoreCase),
            admin => admin.Use((http, next) =>
            {
                http.Request.EnableBuffering();
                return next(http);
            }));
}
