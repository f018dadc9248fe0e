using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatGateway.Members;

namespace WechatGateway.Admin;

/// <summary><c>/api/admin/members</c>: search and detail with timeline. Store managers see only members of their stores.</summary>
public static class AdminMemberEndpoints
{
    public static RouteGroupBuilder MapAdminMembers(this RouteGroupBuilder admin)
    {
        var members = admin.MapGroup("/members");
        members.MapGet("", SearchAsync).WithSummary("Members by OpenID, UnionID or phone (exact) or nickname (prefix).");
        members.MapGet("/{id}", GetAsync).WithSummary("A member with identities, follows, attribution and timeline.");
        return admin;
    }

    public static async Task<Results<Ok<IReadOnlyList<MemberSummary>>, ProblemHttpResult>> SearchAsync(
        string? query, int? limit, ClaimsPrincipal user, MemberQueries queries, CancellationToken ct)
    {
        if (limit is < 1 or > 200)
        {
            return TypedResults.Problem("limit must be between 1 and 200.", statusCode: StatusCodes.Status400BadRequest);
        }

        return TypedResults.Ok(await queries.SearchAsync(query, StoresOf(user), limit ?? 50, ct));
    }

    public static async Task<Results<Ok<MemberDetail>, NotFound>> GetAsync(ulong id, ClaimsPrincipal user, MemberQueries queries, CancellationToken ct)
    {
        var detail = await queries.GetDetailAsync(id, ct);
        if (detail is null)
        {
            return TypedResults.NotFound();
        }

        // A store manager is told nothing about members outside its stores, not even that they exist.
        var stores = StoresOf(user);
        return stores is null || (detail.Member.HomeStoreId is { } home && stores.Contains(home))
            ? TypedResults.Ok(detail)
            : TypedResults.NotFound();
    }

    /// <summary>The stores a key is limited to, or null for keys that see every store.</summary>
    private static IReadOnlyList<long>? StoresOf(ClaimsPrincipal user) =>
        user.Role() == AdminRole.StoreManager
            ? user.FindAll(AdminPrincipal.StoreClaim).Select(c => long.Parse(c.Value, CultureInfo.InvariantCulture)).ToList()
            : null;
}
