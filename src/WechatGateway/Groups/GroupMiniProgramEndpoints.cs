using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.MiniProgram;
using WechatGateway.Operations;

namespace WechatGateway.Groups;

/// <summary>The groups part of <c>/api/mp</c> (docs/CONTRACT.md §5): recommendations and the member's own join confirmation.</summary>
public static class GroupMiniProgramEndpoints
{
    public sealed record RecommendedGroup(ulong GroupId, string Name, string StoreName, double? DistanceKm, string? QrImageUrl, string Reason);

    public static IEndpointRouteBuilder MapGroupsMiniProgram(this IEndpointRouteBuilder app)
    {
        var mp = app.MapGroup("/api/mp/groups").WithTags("Mini-program").RequireAuthorization(MiniProgramEndpoints.Policy);
        mp.MapGet("/recommended", RecommendedAsync)
            .WithSummary("The best groups for the member, best first; lat/lng (both or neither) are remembered as the member's location. Takes no seat.");
        mp.MapPost("/{id}/join", JoinAsync).WithSummary("The member confirms having joined the group; 409 when it is full, or when the member is in Groups:MaxJoinsPerMember groups already.");
        return app;
    }

    [ResponseExample("""[ { "groupId": 12, "name": "Jing'an fans 1", "storeName": "Jing'an", "distanceKm": 1.4, "qrImageUrl": "https://cdn.example-brand.cn/groups/jingan-1.png", "reason": "nearest" } ]""")]
    public static async Task<Results<Ok<List<RecommendedGroup>>, ValidationProblem>> RecommendedAsync(
        double? lat, double? lng, ClaimsPrincipal user, MemberResolver resolver, MySqlDataSource dataSource, GroupSteering steering,
        IOptions<GroupsOptions> options, TimeProvider time, CancellationToken ct)
    {
        if ((lat is null) != (lng is null) || (lat is { } la && lng is { } ln && !GeoPoint.IsValid(la, ln)))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                [lat is null or < -90 or > 90 ? "lat" : "lng"] = ["lat (-90..90) and lng (-180..180) are given together, or not at all."],
            });
        }

        var memberId = await CurrentMemberAsync(user, resolver, ct);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        MemberOrigin? origin;
        if (lat is { } a && lng is { } b)
        {
            origin = new MemberOrigin(new GeoPoint(a, b), "mini-program location");
            await GroupSteering.RememberLocationAsync(c, null, memberId, origin.Point, "mini-program location", time.GetUtcNow().UtcDateTime, ct);
        }
        else
        {
            origin = await GroupSteering.OriginAsync(c, null, memberId, ct);
        }

        var ranked = await steering.RankAsync(c, null, memberId, origin, options.Value.RecommendedCount, null, ct);
        return TypedResults.Ok(ranked.Select(r => new RecommendedGroup(r.Group.GroupId, r.Group.Name, r.Group.StoreName, r.DistanceKm, r.Group.QrImageUrl, r.Reason)).ToList());
    }

    [ResponseExample("""{ "groupId": 12, "memberId": 10482, "memberCount": 118, "alreadyMember": false }""")]
    public static async Task<Results<Ok<JoinResult>, NotFound, ProblemHttpResult>> JoinAsync(
        ulong id, ClaimsPrincipal user, MemberResolver resolver, MySqlDataSource dataSource, GroupSteering steering, IOptions<GroupsOptions> options, CancellationToken ct)
    {
        var memberId = await CurrentMemberAsync(user, resolver, ct);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        if (await Dapper.SqlMapper.ExecuteScalarAsync<long>(c, new Dapper.CommandDefinition("SELECT COUNT(*) FROM community_group WHERE id = @id AND active = 1", new { id }, cancellationToken: ct)) == 0)
        {
            return TypedResults.NotFound();
        }

        // Confirming another group is a seat taken: counted before the join (two confirmations sent at once may both pass).
        const string joinedSql = "SELECT COUNT(*) FROM group_member WHERE member_id = @memberId AND joined_at IS NOT NULL AND group_id <> @id";
        var max = options.Value.MaxJoinsPerMember;
        if (await Dapper.SqlMapper.ExecuteScalarAsync<long>(c, new Dapper.CommandDefinition(joinedSql, new { memberId, id }, cancellationToken: ct)) >= max)
        {
            return TypedResults.Problem($"A member confirms at most {max} groups.", title: "Too many groups", statusCode: StatusCodes.Status409Conflict);
        }

        return await steering.JoinAsync(c, id, memberId, "member", ct) is { } joined ? TypedResults.Ok(joined) : GroupEndpoints.GroupFull();
    }

    private static async Task<ulong> CurrentMemberAsync(ClaimsPrincipal user, MemberResolver resolver, CancellationToken ct)
    {
        var appId = user.FindFirstValue(MiniProgramAuthenticationHandler.AppIdClaim)!;
        var openId = user.FindFirstValue(MiniProgramAuthenticationHandler.OpenIdClaim)!;
        return (await resolver.ResolveAsync(appId, openId, AccountType.MiniProgram, ct)).MemberId;
    }
}
