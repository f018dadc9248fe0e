using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatGateway.Accounts;
using WechatGateway.Admin;
using WechatGateway.Operations;
using WechatGateway.Wechat.Api;

namespace WechatGateway.MassSend;

/// <summary><c>/api/admin/accounts/{appId}/mass-sends</c>: an official account's mass sends (群发), their limits and a preview.</summary>
public static class MassSendEndpoints
{
    /// <summary>Exactly one of <see cref="All"/>, <see cref="Tag"/> (a mirrored member tag) and <see cref="OpenIds"/>.</summary>
    public sealed record MassAudience(bool? All, string? Tag, List<string>? OpenIds);

    /// <summary><c>type</c> <c>text</c> with <c>content</c>; <c>image</c> or <c>news</c> with <c>mediaId</c> (news: an article from media/uploadnews).</summary>
    public sealed record MassMessageBody(string? Type, string? Content, string? MediaId);

    public sealed record MassSendBody(string? RequestId, MassAudience? To, MassMessageBody? Message);

    public sealed record PreviewBody(string? OpenId, MassMessageBody? Message);

    public sealed record Previewed(long MsgId);

    public static RouteGroupBuilder MapMassSends(this RouteGroupBuilder admin)
    {
        var mass = admin.MapGroup("/accounts/{appId}/mass-sends").WithTags("Mass send");
        mass.MapGet("/limits", LimitsAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("What WeChat allows the account now: a subscription account's one send a day, a service account's followers at four this month, 60 calls a minute.");
        mass.MapPost("", PlanAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("Plans a mass send to every follower, a mirrored tag, or OpenIDs (split into calls of at most 10,000); followers at four this month are skipped and counted. The same requestId plans nothing twice.");
        mass.MapGet("/{id}", GetAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("A mass send: our counts and, per call, WeChat's msg_id and its report (sent, filtered, errors) or polled status.");
        mass.MapPost("/preview", PreviewAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("Sends the message to one follower as the mass send will show it (message/mass/preview); counts toward no limit.");
        return admin;
    }

    [ResponseExample("""{ "serviceType": "Service", "dailyLimit": null, "sentToday": 0, "monthlyPerFollower": 4, "followersAtMonthlyLimit": 312, "callsPerMinute": 60 }""")]
    public static async Task<Results<Ok<MassSendLimits>, ProblemHttpResult>> LimitsAsync(string appId, AccountRegistry accounts, MassSends sends, CancellationToken ct) =>
        NotAnOfficialAccount(appId, accounts) is { } refused ? refused : TypedResults.Ok(await sends.LimitsAsync(appId, ct));

    [RequestExample("""{ "requestId": "2026-12-mailing", "to": { "openIds": ["oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "o4Gm1xR8tYb2Nc5Vd7Wq9Zs3Lk6P"] }, "message": { "type": "text", "content": "December offers are in store" } }""")]
    [ResponseExample("""{ "id": 12, "addressed": 2, "skippedMonthly": 0, "calls": 1, "repeated": false, "refused": null }""")]
    public static async Task<Results<Created<MassSendPlan>, Ok<MassSendPlan>, ValidationProblem, ProblemHttpResult>> PlanAsync(
        string appId, MassSendBody body, ClaimsPrincipal user, AccountRegistry accounts, MassSends sends, CancellationToken ct)
    {
        if (NotAnOfficialAccount(appId, accounts) is { } refused)
        {
            return refused;
        }

        var errors = new Dictionary<string, string[]>();
        var message = ToMessage(body.Message, errors);
        var to = body.To;
        var targets = new[] { to?.All == true, to?.Tag is { Length: > 0 }, to?.OpenIds is { Count: > 0 } }.Count(t => t);
        if (targets != 1)
        {
            errors["to"] = ["exactly one of all: true, tag, openIds"];
        }

        if (string.IsNullOrWhiteSpace(body.RequestId) || body.RequestId.Length > 100)
        {
            errors["requestId"] = ["required, at most 100 characters: the same requestId sends once"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var target = to!.All == true ? MassTarget.All : to.Tag is { Length: > 0 } ? MassTarget.Tag : MassTarget.OpenIds;
        var plan = await sends.PlanAsync(new MassSendRequest(appId, "admin:" + body.RequestId, target, to.Tag, to.OpenIds, message!, user.Actor()), ct);
        return plan switch
        {
            { Refused: MassRefusals.DailyLimit } => TypedResults.Problem("A subscription account mass sends once a day; today's is made.", title: "Daily limit", statusCode: StatusCodes.Status409Conflict),
            { Refused: MassRefusals.MonthlyLimit } => TypedResults.Problem("Every follower named has had WeChat's four mass sends this month.", title: "Monthly limit", statusCode: StatusCodes.Status409Conflict),
            { Refused: { } reason } => TypedResults.Problem(Explain(reason), title: "Mass send refused", statusCode: StatusCodes.Status400BadRequest),
            { Repeated: true } => TypedResults.Ok(plan),
            _ => TypedResults.Created($"/api/admin/accounts/{appId}/mass-sends/{plan.Id}", plan),
        };
    }

    [ResponseExample("""{ "id": 12, "appId": "wx5f3c2a1b9d8e7f60", "sourceKey": "admin:2026-12-mailing", "target": "openids", "tagId": null, "state": "sent", "addressed": 12000, "skippedMonthly": 310, "createdBy": "ops-admin", "createdAt": "2026-12-05T02:00:00", "calls": [ { "seq": 0, "clientMsgId": "wg3f0c9a51d2e84b7c6a1f0e9d8c7b6a5f4e3d2c1b", "recipients": 5845, "state": "sent", "attempts": 1, "msgId": 1000000123, "errcode": null, "sentAt": "2026-12-05T02:00:01", "wechatStatus": "send success", "totalCount": 5845, "filterCount": 5840, "sentCount": 5838, "errorCount": 2, "reportedAt": "2026-12-05T02:03:12", "polledAt": null } ] }""")]
    public static async Task<Results<Ok<MassSendView>, NotFound>> GetAsync(string appId, ulong id, MassSends sends, CancellationToken ct) =>
        await sends.GetAsync(appId, id, ct) is { } view ? TypedResults.Ok(view) : TypedResults.NotFound();

    [RequestExample("""{ "openId": "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "message": { "type": "text", "content": "December offers are in store" } }""")]
    [ResponseExample("""{ "msgId": 1000000124 }""")]
    public static async Task<Results<Ok<Previewed>, ValidationProblem, ProblemHttpResult>> PreviewAsync(
        string appId, PreviewBody body, AccountRegistry accounts, WechatApiClient wechat, CancellationToken ct)
    {
        if (NotAnOfficialAccount(appId, accounts) is { } refused)
        {
            return refused;
        }

        var errors = new Dictionary<string, string[]>();
        var message = ToMessage(body.Message, errors);
        if (string.IsNullOrEmpty(body.OpenId))
        {
            errors["openId"] = ["required: the follower who previews"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        try
        {
            return TypedResults.Ok(new Previewed((await wechat.MassPreviewAsync(appId, body.OpenId!, message!, ct)).MsgId));
        }
        catch (WechatApiException e)
        {
            return TypedResults.Problem(e.Message, title: "WeChat refused the preview", statusCode: StatusCodes.Status400BadRequest);
        }
    }

    private static MassMessage? ToMessage(MassMessageBody? body, Dictionary<string, string[]> errors)
    {
        switch (body?.Type)
        {
            case "text" when !string.IsNullOrWhiteSpace(body.Content):
                return MassMessage.Text(body.Content);
            case "image" when !string.IsNullOrEmpty(body.MediaId):
                return MassMessage.Image(body.MediaId);
            case "news" when !string.IsNullOrEmpty(body.MediaId):
                return MassMessage.News(body.MediaId);
            default:
                errors["message"] = ["type text with content, or image or news with mediaId"];
                return null;
        }
    }

    private static string Explain(string reason) => reason switch
    {
        MassRefusals.TagNotMirrored => "A mass send by tag needs a tag mirrored on the account (POST /api/admin/accounts/{appId}/tags/mirrors).",
        MassRefusals.ServiceAccountsOnly => "Only a service account may mass send to OpenIDs; a subscription account sends to all or a tag.",
        MassRefusals.TooFewRecipients => "WeChat's mass send to OpenIDs needs at least two followers.",
        _ => reason,
    };

    private static ProblemHttpResult? NotAnOfficialAccount(string appId, AccountRegistry accounts) => accounts.Find(appId) switch
    {
        null => TypedResults.Problem($"{appId} is not an account this gateway serves.", title: "Unknown account", statusCode: StatusCodes.Status400BadRequest),
        { Options.Type: not AccountType.OfficialAccount } => TypedResults.Problem($"{appId} is a mini-program: only an official account mass sends.",
            title: "Not an official account", statusCode: StatusCodes.Status400BadRequest),
        _ => null,
    };
}
