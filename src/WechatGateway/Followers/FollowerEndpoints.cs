using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatGateway.Accounts;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.Followers;

/// <summary>
/// <c>/api/admin/accounts/{appId}/sync</c>: import an official account's existing followers, and follow the import;
/// <c>/api/admin/accounts/{appId}/tags</c>: the account's WeChat tags and the member tags mirrored there.
/// </summary>
public static class FollowerEndpoints
{
    public sealed record SyncStarted(ulong Id);

    public sealed record MirrorRequest(string? Tag);

    public sealed record Mirrored(string Tag, int TagId);

    public static RouteGroupBuilder MapFollowers(this RouteGroupBuilder admin)
    {
        var account = admin.MapGroup("/accounts/{appId}").WithTags("Followers");
        account.MapPost("/sync", StartAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("Starts importing the official account's existing followers (user/get + batchget) as members: 202 with the sync's id; 409 with the running sync's id while one runs.");
        account.MapGet("/sync", ListAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("The account's follower syncs, newest first.");
        account.MapGet("/sync/{id}", GetAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("One follower sync: state (running, completed, failed) and its counts.");
        account.MapGet("/tags", ListTagsAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("The account's WeChat tags as last read, each with the member tag it mirrors, if any.");
        account.MapPost("/tags/mirrors", MirrorAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("Mirrors a member tag on the account: a WeChat tag of that name, given to and taken from followers as members gain or lose the tag.");
        return admin;
    }

    [ResponseExample("""{ "id": 7 }""")]
    [ResponseExample("""{ "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10", "title": "A sync is running", "status": 409, "detail": "Follower sync 6 of wx5f3c2a1b9d8e7f60 is still running.", "id": 6 }""", StatusCode = StatusCodes.Status409Conflict)]
    public static async Task<Results<Accepted<SyncStarted>, ProblemHttpResult>> StartAsync(
        string appId, ClaimsPrincipal user, AccountRegistry accounts, FollowerSyncStore syncs, FollowerSyncSignal signal, CancellationToken ct)
    {
        if (NotAnOfficialAccount(appId, accounts) is { } refused)
        {
            return refused;
        }

        var (id, started) = await syncs.StartAsync(appId, user.Actor(), ct);
        if (!started)
        {
            return TypedResults.Problem($"Follower sync {id} of {appId} is still running.", title: "A sync is running",
                statusCode: StatusCodes.Status409Conflict, extensions: new Dictionary<string, object?> { ["id"] = id });
        }

        signal.Notify();
        return TypedResults.Accepted($"/api/admin/accounts/{appId}/sync/{id}", new SyncStarted(id));
    }

    [ResponseExample("""{ "id": 7, "appId": "wx5f3c2a1b9d8e7f60", "state": "running", "total": 300000, "imported": 181200, "updated": 1400, "unchanged": 0, "unfollowed": 0, "failed": 0, "pages": 18, "resumeAt": null, "error": null, "requestedBy": "ops-admin", "createdAt": "2026-12-05T02:00:00", "updatedAt": "2026-12-05T02:01:12", "finishedAt": null }""")]
    public static async Task<Results<Ok<FollowerSyncView>, NotFound>> GetAsync(string appId, ulong id, FollowerSyncStore syncs, CancellationToken ct) =>
        await syncs.GetAsync(appId, id, ct) is { } sync ? TypedResults.Ok(sync) : TypedResults.NotFound();

    [ResponseExample("""[ { "id": 7, "appId": "wx5f3c2a1b9d8e7f60", "state": "completed", "total": 300000, "imported": 298600, "updated": 1400, "unchanged": 0, "unfollowed": 212, "failed": 0, "pages": 30, "resumeAt": null, "error": null, "requestedBy": "ops-admin", "createdAt": "2026-12-05T02:00:00", "updatedAt": "2026-12-05T02:08:03", "finishedAt": "2026-12-05T02:08:03" } ]""")]
    public static async Task<Ok<IReadOnlyList<FollowerSyncView>>> ListAsync(string appId, FollowerSyncStore syncs, CancellationToken ct) =>
        TypedResults.Ok(await syncs.ListAsync(appId, 20, ct));

    [ResponseExample("""[ { "tagId": 2, "name": "星标组", "mirrors": null }, { "tagId": 100, "name": "vip", "mirrors": "vip" } ]""")]
    public static async Task<Results<Ok<IReadOnlyList<WechatTagView>>, ProblemHttpResult>> ListTagsAsync(string appId, AccountRegistry accounts, WechatTags tags, CancellationToken ct) =>
        NotAnOfficialAccount(appId, accounts) is { } refused ? refused : TypedResults.Ok(await tags.ListAsync(appId, ct));

    [RequestExample("""{ "tag": "vip" }""")]
    [ResponseExample("""{ "tag": "vip", "tagId": 100 }""")]
    public static async Task<Results<Created<Mirrored>, Ok<Mirrored>, ValidationProblem, ProblemHttpResult>> MirrorAsync(
        string appId, MirrorRequest request, ClaimsPrincipal user, AccountRegistry accounts, WechatTags tags, CancellationToken ct)
    {
        if (NotAnOfficialAccount(appId, accounts) is { } refused)
        {
            return refused;
        }

        var tag = request.Tag?.Trim();
        // WeChat's limit for a tag name is 30 characters.
        if (string.IsNullOrEmpty(tag) || tag.Length > 30)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["tag"] = ["a member tag of 1 to 30 characters"] });
        }

        var (outcome, tagId) = await tags.MirrorAsync(appId, tag, user.Actor(), ct);
        return outcome switch
        {
            MirrorOutcome.Mirrored => TypedResults.Created($"/api/admin/accounts/{appId}/tags", new Mirrored(tag, tagId!.Value)),
            MirrorOutcome.AlreadyMirrored => TypedResults.Ok(new Mirrored(tag, tagId!.Value)),
            _ => TypedResults.Problem("The account has WeChat's maximum of 100 tags; delete one on WeChat first.", title: "Too many tags", statusCode: StatusCodes.Status409Conflict),
        };
    }

    private static ProblemHttpResult? NotAnOfficialAccount(string appId, AccountRegistry accounts) => accounts.Find(appId) switch
    {
        null => TypedResults.Problem($"{appId} is not an account this gateway serves.", title: "Unknown account", statusCode: StatusCodes.Status400BadRequest),
        { Options.Type: not AccountType.OfficialAccount } => TypedResults.Problem($"{appId} is a mini-program: only an official account has followers and tags.",
            title: "Not an official account", statusCode: StatusCodes.Status400BadRequest),
        _ => null,
    };
}
