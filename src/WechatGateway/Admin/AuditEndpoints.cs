using Microsoft.AspNetCore.Http.HttpResults;

namespace WechatGateway.Admin;

public static class AuditEndpoints
{
    public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, ulong? Next);

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder admin)
    {
        admin.MapGet("/audit", ListAsync).WithSummary("Admin writes, newest first.");
        return admin;
    }

    public static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> ListAsync(AuditLog audit, int? limit, ulong? cursor, CancellationToken ct)
    {
        if (limit is < 1 or > 500)
        {
            return TypedResults.Problem("limit must be between 1 and 500.", statusCode: StatusCodes.Status400BadRequest);
        }

        var take = limit ?? 50;
        var items = await audit.ListAsync(take, cursor, ct);
        return TypedResults.Ok(new AuditPage(items, items.Count == take ? items[^1].Id : null));
    }
}
