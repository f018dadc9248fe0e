using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatGateway.Operations;

namespace WechatGateway.Admin;

public static class AuditEndpoints
{
    public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, ulong? Next);

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder admin)
    {
        admin.MapGet("/audit", ListAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Admin writes and reads of personal data, newest first. Store managers see their stores' rows; viewers see rows without bodies.");
        return admin;
    }

    [ResponseExample("""
        {
          "items": [
            { "id": 5120, "at": "2026-12-01T02:31:07", "actor": "hq-ops", "role": "Admin", "method": "POST", "path": "/api/admin/rewards", "body": "{\"name\":\"coffee\",\"points\":50,\"stock\":120}", "statusCode": 201, "remoteIp": "10.0.4.17", "storeId": null },
            { "id": 5119, "at": "2026-12-01T02:29:55", "actor": "jingan-manager", "role": "StoreManager", "method": "GET", "path": "/api/admin/members/10482", "body": null, "statusCode": 200, "remoteIp": "10.0.9.3", "storeId": 3 }
          ],
          "next": 5119
        }
        """)]
    public static async Task<Results<Ok<AuditPage>, ProblemHttpResult>> ListAsync(AuditLog audit, ClaimsPrincipal user, int? limit, ulong? cursor, CancellationToken ct)
    {
        if (limit is < 1 or > 500)
        {
            return TypedResults.Problem("limit must be between 1 and 500.", statusCode: StatusCodes.Status400BadRequest);
        }

        var take = limit ?? 50;
        // Bodies can carry what was written (a member's data, a key's name and stores): read-only keys see that a
        // change happened, by whom and with what outcome, not its content.
        var items = await audit.ListAsync(take, cursor, user.StoresOf(), withBodies: user.Role() != AdminRole.Viewer, ct);
        return TypedResults.Ok(new AuditPage(items, items.Count == take ? items[^1].Id : null));
    }
}
