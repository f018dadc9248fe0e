using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatGateway.Members;
using WechatGateway.Operations;
using WechatGateway.Privacy;

namespace WechatGateway.Admin;

/// <summary>
/// <c>/api/admin/members</c>: search, detail with timeline, and a member's personal data. Store managers see only
/// members of their stores. Phone numbers are masked for every role; an admin reveals one through an audited call.
/// Viewers see OpenIDs and UnionIDs masked too.
/// </summary>
public static class AdminMemberEndpoints
{
    public sealed record RevealedPhone(string MemberId, string? Phone);

    public sealed record TagsRequest(IReadOnlyList<string>? Tags);

    public sealed record MemberTagsView(string MemberId, IReadOnlyList<string> Tags);

    public const int MaxManualTags = 50;

    public static RouteGroupBuilder MapAdminMembers(this RouteGroupBuilder admin)
    {
        var members = admin.MapGroup("/members");
        members.MapGet("", SearchAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Members by OpenID, UnionID or phone (exact; phone not for viewers) or nickname (prefix).");
        members.MapGet("/{id}", GetAsync).RequireAuthorization(AdminPolicies.Read).AuditReads()
            .WithSummary("A member with identities, follows, attribution and timeline; the phone number masked. Each read is audited.");
        members.MapPut("/{id}/tags", SetTagsAsync).RequireAuthorization(AdminPolicies.Write)
            .WithSummary("Replaces the member's tags (ops' manual tags; tags kept stay as set, new ones are manual). Store managers: their stores' members.");
        members.MapPost("/{id}/reveal-phone", RevealPhoneAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("The member's full phone number, for an admin; audited.");
        members.MapDelete("/{id}/personal-data", EraseAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("Erases the member's profile, phone and raw pushes; points and ledger totals stay. Audited.");
        return admin;
    }

    [ResponseExample("""[ { "memberId": "10482", "nickname": "小雨", "stage": "customer", "unionId": "oVx3a0t2KpL9mQ4rS7uW1yZ5bD8e", "phoneBound": true, "homeStoreId": 3, "lastInteractionAt": "2026-12-01T01:02:11" } ]""")]
    public static async Task<Results<Ok<IReadOnlyList<MemberSummary>>, ProblemHttpResult>> SearchAsync(
        string? query, int? limit, ClaimsPrincipal user, MemberQueries queries, CancellationToken ct)
    {
        if (limit is < 1 or > 200)
        {
            return TypedResults.Problem("limit must be between 1 and 200.", statusCode: StatusCodes.Status400BadRequest);
        }

        // A viewer's search does not match phone numbers: it would tell who owns a number, unaudited.
        var found = await queries.SearchAsync(query, user.StoresOf(), byPhone: user.Role() != AdminRole.Viewer, limit ?? 50, ct);
        return TypedResults.Ok<IReadOnlyList<MemberSummary>>(found.Select(m => m with { UnionId = user.Identifier(m.UnionId) }).ToList());
    }

    [ResponseExample("""
        {
          "member": { "memberId": "10482", "nickname": "小雨", "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK/132", "gender": 2, "city": "Shanghai", "tier": "silver", "points": { "balance": 1260, "lifetime": 1840 }, "stage": "customer", "phoneBound": true, "homeStoreId": 3 },
          "unionId": "oVx3a0t2KpL9mQ4rS7uW1yZ5bD8e",
          "phone": "138****5678",
          "firstChannel": "store:3",
          "createdAt": "2026-09-14T10:21:40",
          "lastInteractionAt": "2026-12-01T01:02:11",
          "tags": ["coffee", "weekend"],
          "identities": [
            { "appId": "wx5f3c2a1b9d8e7f60", "openId": "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "unionId": "oVx3a0t2KpL9mQ4rS7uW1yZ5bD8e", "accountType": "OfficialAccount", "createdAt": "2026-09-14T10:21:40" },
            { "appId": "wx8e2d4c6a0b1f3e57", "openId": "o4Gm1xR8tYb2Nc5Vd7Wq9Zs3Lk6P", "unionId": "oVx3a0t2KpL9mQ4rS7uW1yZ5bD8e", "accountType": "MiniProgram", "createdAt": "2026-09-20T03:11:02" }
          ],
          "follows": [ { "appId": "wx5f3c2a1b9d8e7f60", "openId": "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "subscribed": true, "subscribedAt": "2026-09-14T10:21:40", "unsubscribedAt": null, "resubscribes": 0, "firstScene": "store:3" } ],
          "attribution": [ { "appId": "wx5f3c2a1b9d8e7f60", "kind": "subscribe", "scene": "store:3", "at": "2026-09-14T10:21:40" } ],
          "timeline": [
            { "at": "2026-12-01T01:02:11", "kind": "points", "summary": "+15 daily check-in (day 7 streak bonus)", "appId": "wx8e2d4c6a0b1f3e57" },
            { "at": "2026-09-14T10:21:40", "kind": "follow", "summary": "followed via QR scene store:3", "appId": "wx5f3c2a1b9d8e7f60" }
          ]
        }
        """)]
    public static async Task<Results<Ok<MemberDetail>, NotFound>> GetAsync(ulong id, ClaimsPrincipal user, HttpContext http, MemberQueries queries, CancellationToken ct)
    {
        if (await VisibleAsync(id, user, http, queries, ct) is not { } detail)
        {
            return TypedResults.NotFound();
        }

        detail = detail with { Phone = PersonalData.MaskPhone(detail.Phone) };
        if (user.Role() == AdminRole.Viewer)
        {
            detail = detail with
            {
                UnionId = user.Identifier(detail.UnionId),
                Identities = detail.Identities.Select(i => i with { OpenId = user.Identifier(i.OpenId)!, UnionId = user.Identifier(i.UnionId) }).ToList(),
                Follows = detail.Follows.Select(f => f with { OpenId = user.Identifier(f.OpenId)! }).ToList(),
            };
        }

        return TypedResults.Ok(detail);
    }

    [ResponseExample("""{ "memberId": "10482", "phone": "13812345678" }""")]
    public static async Task<Results<Ok<RevealedPhone>, NotFound>> RevealPhoneAsync(ulong id, ClaimsPrincipal user, HttpContext http, MemberQueries queries, CancellationToken ct) =>
        await VisibleAsync(id, user, http, queries, ct) is { } detail
            ? TypedResults.Ok(new RevealedPhone(detail.Member.MemberId, detail.Phone))
            : TypedResults.NotFound();

    [RequestExample("""{ "tags": ["coffee-lover", "vip-event-2026"] }""")]
    [ResponseExample("""{ "memberId": "10482", "tags": ["coffee-lover", "vip-event-2026"] }""")]
    public static async Task<Results<Ok<MemberTagsView>, NotFound, ValidationProblem>> SetTagsAsync(
        ulong id, TagsRequest request, ClaimsPrincipal user, HttpContext http, MemberQueries queries, MySqlConnector.MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        var tags = request.Tags?.Distinct(StringComparer.Ordinal).ToList() ?? [];
        if (Profile.TagCatalogue.Check(tags, MaxManualTags) is { } invalid)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tags"] = [invalid] });
        }

        if (await VisibleAsync(id, user, http, queries, ct) is not { } detail)
        {
            return TypedResults.NotFound();
        }

        var memberId = ulong.Parse(detail.Member.MemberId, System.Globalization.CultureInfo.InvariantCulture);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        await Profile.MemberTags.ReplaceAsync(c, t, memberId, tags, time.GetUtcNow().UtcDateTime, ct);
        await t.CommitAsync(ct);
        return TypedResults.Ok(new MemberTagsView(detail.Member.MemberId, [.. tags.Order(StringComparer.Ordinal)]));
    }

    public static async Task<Results<NoContent, NotFound>> EraseAsync(ulong id, ClaimsPrincipal user, HttpContext http, MemberQueries queries, PersonalDataEraser eraser, CancellationToken ct)
    {
        // Erase the live member a merged id reads as, so an old id cannot leave the data in place.
        if (await VisibleAsync(id, user, http, queries, ct) is not { } detail)
        {
            return TypedResults.NotFound();
        }

        return await eraser.EraseAsync(ulong.Parse(detail.Member.MemberId, System.Globalization.CultureInfo.InvariantCulture), ct)
            ? TypedResults.NoContent()
            : TypedResults.NotFound();
    }

    /// <summary>The member, when this key may see it; names its home store for the audit row.</summary>
    private static async Task<MemberDetail?> VisibleAsync(ulong id, ClaimsPrincipal user, HttpContext http, MemberQueries queries, CancellationToken ct)
    {
        var detail = await queries.GetDetailAsync(id, ct);
        if (detail is null)
        {
            return null;
        }

        // A store manager is told nothing about members outside its stores, not even that they exist.
        if (!user.CanSeeMember(detail.Member.HomeStoreId))
        {
            return null;
        }

        http.AuditStore(detail.Member.HomeStoreId);
        return detail;
    }
}
