using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Admin;
using WechatGateway.MassSend;
using WechatGateway.Members;
using WechatGateway.Operations;
using WechatGateway.Replies;

namespace WechatGateway.Campaigns;

/// <summary>
/// <c>/api/admin/campaigns</c>: HQ speaks first, to a segment, through the send queue. Creating, pausing, resuming and
/// cancelling are for admin keys (a campaign reaches the whole segment); anyone may watch the figures.
/// </summary>
public static class CampaignEndpoints
{
    public sealed record Created(ulong Id);

    public sealed record ScheduleView(DateTime? At, string? Cron, string? TimeZone);

    public sealed record QuietHoursView(string From, string To);

    /// <summary>
    /// A campaign and the figures of its latest run (<see cref="CampaignFigures"/>); for a mass campaign, its run's mass
    /// send with WeChat's report totals beside them (<c>wechat</c>).
    /// </summary>
    public sealed record CampaignView(
        ulong Id, string AppId, string Name, ulong SegmentId, string Channel, ReplyBody Message, ScheduleView? Schedule, int RatePerSecond,
        QuietHoursView? QuietHours, string Status, DateTime? NextRunAt, ulong? RunId, int Runs, DateTime? StartedAt, DateTime? FinishedAt,
        int Targeted, int Sent, int Failed, int Skipped, int Queued, int Remaining,
        IReadOnlyDictionary<string, int> SkippedByReason, IReadOnlyDictionary<string, int> FailedByErrcode, string CreatedBy, DateTime CreatedAt,
        MassSendReport? Wechat = null);

    /// <param name="Body">The JSON WeChat's send API would receive for this member.</param>
    public sealed record PreviewView(ulong MemberId, string OpenId, JsonElement Body);

    public static RouteGroupBuilder MapCampaigns(this RouteGroupBuilder admin)
    {
        var campaigns = admin.MapGroup("/campaigns").WithTags("Campaigns");
        campaigns.MapGet("", ListAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("Campaigns, newest first, each with its latest run's figures.");
        campaigns.MapGet("/{id}", GetAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One campaign: status, targeted, sent, failed, skipped and skippedByReason of its latest run.");
        campaigns.MapPost("", CreateAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("Creates a campaign on a segment; it starts at its schedule (now without one). 400 naming the field for a foreign segment, invalid Liquid, a template the account lacks, a cron that never fires, a rate above the account's quota.");
        campaigns.MapPost("/preview", PreviewAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("Renders an unsaved campaign's message for one member (what WeChat would receive); changes nothing. Audited.");
        campaigns.MapPost("/{id}/pause", PauseAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Pauses a scheduled or running campaign; 409 for one completed or cancelled.");
        campaigns.MapPost("/{id}/resume", ResumeAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Resumes a paused campaign where its run stopped; 409 for one completed or cancelled.");
        campaigns.MapPost("/{id}/cancel", CancelAsync).RequireAuthorization(AdminPolicies.AdminOnly).WithSummary("Cancels a campaign for good (its sends still waiting are cancelled); 409 for one completed.");
        return admin;
    }

    [ResponseExample(MassExample)]
    public static async Task<Results<Ok<CampaignView>, NotFound>> GetAsync(ulong id, [FromServices] CampaignStore store, [FromServices] MassSends massSends, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } row ? TypedResults.Ok(await ViewAsync(row, store, massSends, ct)) : TypedResults.NotFound();

    [ResponseExample("[" + Example + "]")]
    public static async Task<Ok<IReadOnlyList<CampaignView>>> ListAsync(
        string? appId, ulong? before, int? limit, [FromServices] CampaignStore store, [FromServices] MassSends massSends, CancellationToken ct)
    {
        var rows = await store.ListAsync(appId, before, Math.Clamp(limit ?? 50, 1, 200), ct);
        var views = new List<CampaignView>(rows.Count);
        foreach (var row in rows)
        {
            views.Add(await ViewAsync(row, store, massSends, ct));
        }

        return TypedResults.Ok<IReadOnlyList<CampaignView>>(views);
    }

    [RequestExample(CreateRequest)]
    [ResponseExample("""{ "id": 12 }""")]
    public static async Task<Results<Created<Created>, ValidationProblem>> CreateAsync(
        CampaignRequest request, ClaimsPrincipal user, [FromServices] CampaignDrafts drafts, [FromServices] CampaignStore store, [FromServices] CampaignSignal signal, CancellationToken ct)
    {
        var draft = await drafts.CheckAsync(request, user.Actor(), ct);
        if (draft.Campaign is not { } campaign)
        {
            return TypedResults.ValidationProblem(draft.Errors);
        }

        var id = await store.CreateAsync(campaign, ct);
        signal.Notify();
        return TypedResults.Created($"/api/admin/campaigns/{id}", new Created(id));
    }

    [RequestExample(CreateRequest)]
    [ResponseExample("""{ "memberId": 1042, "openId": "oUser1042", "body": { "touser": "oUser1042", "template_id": "TPL_POINTS", "url": "https://example-brand.cn/points", "data": { "first": { "value": "Hi 小雨" }, "keyword1": { "value": "1260 points" } } } }""")]
    public static async Task<Results<Ok<PreviewView>, NotFound, ValidationProblem>> PreviewAsync(
        ulong memberId, CampaignRequest request, ClaimsPrincipal user, HttpContext http, [FromServices] CampaignDrafts drafts, [FromServices] MemberQueries members,
        [FromServices] AccountRegistry accounts, [FromServices] MySqlDataSource dataSource, CancellationToken ct)
    {
        var draft = await drafts.CheckAsync(request, user.Actor(), ct);
        if (draft.Campaign is not { } campaign || draft.Message is not { } message)
        {
            return TypedResults.ValidationProblem(draft.Errors);
        }

        const string identity = "SELECT open_id FROM member_identity WHERE member_id = @memberId AND app_id = @appId ORDER BY created_at, open_id LIMIT 1";
        string? openId;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            openId = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(identity, new { memberId, appId = campaign.AppId }, cancellationToken: ct));
        }

        if (openId is null || await members.GetAsync(memberId, ct) is not { } member || !user.CanSeeMember(member.HomeStoreId))
        {
            return TypedResults.NotFound();
        }

        http.AuditStore(member.HomeStoreId);
        try
        {
            var rendered = await message.RenderAsync(new ReplyModel(member, null, campaign.AppId, accounts.Find(campaign.AppId)?.Options.Name));
            using var body = JsonDocument.Parse(rendered.ToSendBody(openId));
            return TypedResults.Ok(new PreviewView(memberId, openId, body.RootElement.Clone()));
        }
        catch (ReplyRenderException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [e.Field] = [e.Message] });
        }
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> PauseAsync(ulong id, [FromServices] CampaignStore store, CancellationToken ct) =>
        Answer(await store.PauseAsync(id, ct), "pause");

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> ResumeAsync(ulong id, [FromServices] CampaignStore store, [FromServices] CampaignSignal signal, CancellationToken ct)
    {
        var change = await store.ResumeAsync(id, ct);
        signal.Notify();
        return Answer(change, "resume");
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> CancelAsync(ulong id, [FromServices] CampaignStore store, CancellationToken ct) =>
        Answer(await store.CancelAsync(id, ct), "cancel");

    private static Results<NoContent, NotFound, ProblemHttpResult> Answer(CampaignChange change, string action) => change switch
    {
        CampaignChange.Changed => TypedResults.NoContent(),
        CampaignChange.NotFound => TypedResults.NotFound(),
        _ => TypedResults.Problem($"A completed or cancelled campaign cannot {action}.", title: "The campaign is over", statusCode: StatusCodes.Status409Conflict),
    };

    /// <summary>The campaign's view; a mass campaign's carries its latest run's mass send with WeChat's totals.</summary>
    private static async Task<CampaignView> ViewAsync(CampaignRow row, CampaignStore store, MassSends massSends, CancellationToken ct)
    {
        var figures = await store.FiguresAsync(row.Id, ct);
        var report = row.Channel == MassCampaignChannel.ChannelName && figures.RunId is { } run
            ? await massSends.ReportAsync(row.AppId, MassCampaignChannel.SourceKeyOf(run), ct)
            : null;
        return ViewOf(row, figures) with { Wechat = report };
    }

    private static CampaignView ViewOf(CampaignRow row, CampaignFigures figures) => new(
        row.Id, row.AppId, row.Name, row.SegmentId, row.Channel, row.Body,
        row.ScheduleAt is null && row.Cron is null ? null : new ScheduleView(row.ScheduleAt, row.Cron, row.TimeZone),
        row.RatePerSecond,
        CampaignRow.Clock(row.QuietFrom) is { } from && CampaignRow.Clock(row.QuietTo) is { } to ? new QuietHoursView(from, to) : null,
        row.Status, row.NextRunAt, figures.RunId, figures.Runs, figures.StartedAt, figures.FinishedAt,
        figures.Targeted, figures.Sent, figures.Failed, figures.Skipped, figures.Queued, figures.Remaining,
        figures.SkippedByReason, figures.FailedByErrcode, row.CreatedBy, row.CreatedAt);

    private const string CreateRequest = """{ "name": "Gold members back in Jing'an", "segmentId": 7, "channel": "template", "template": { "templateId": "TPL_POINTS", "data": { "first": "Hi {{ member.nickname | default: 'friend' }}", "keyword1": "{{ member.points.balance }} points" }, "url": "https://example-brand.cn/points" }, "schedule": { "cron": "0 10 * * 1", "timeZone": "Asia/Shanghai" }, "ratePerSecond": 100, "quietHours": { "from": "22:00", "to": "08:00" } }""";

    private const string Example = """{ "id": 12, "appId": "wx_brand", "name": "Gold members back in Jing'an", "segmentId": 7, "channel": "template", "message": { "type": "template", "wechatTemplateId": "TPL_POINTS", "url": "https://example-brand.cn/points", "data": { "first": "Hi {{ member.nickname | default: 'friend' }}", "keyword1": "{{ member.points.balance }} points" } }, "schedule": { "at": null, "cron": "0 10 * * 1", "timeZone": "Asia/Shanghai" }, "ratePerSecond": 100, "quietHours": { "from": "22:00", "to": "08:00" }, "status": "running", "nextRunAt": "2026-12-07T02:00:00", "runId": 31, "runs": 3, "startedAt": "2026-11-30T02:00:00.1", "finishedAt": null, "targeted": 10000, "sent": 6120, "failed": 14, "skipped": 812, "queued": 54, "remaining": 3000, "skippedByReason": { "not-follower": 12, "unfollowed": 800 }, "failedByErrcode": { "43004": 14 }, "createdBy": "ops-key", "createdAt": "2026-11-28T07:30:00", "wechat": null }""";

    private const string MassExample = """{ "id": 14, "appId": "wx_brand", "name": "December offers", "segmentId": 9, "channel": "mass", "message": { "type": "text", "content": "December offers are in store" }, "schedule": null, "ratePerSecond": 1000, "quietHours": null, "status": "completed", "nextRunAt": null, "runId": 40, "runs": 1, "startedAt": "2026-12-01T02:00:00.1", "finishedAt": "2026-12-01T02:00:41.3", "targeted": 24000, "sent": 21400, "failed": 0, "skipped": 2600, "queued": 0, "remaining": 0, "skippedByReason": { "monthly-limit": 1900, "unfollowed": 700 }, "failedByErrcode": {}, "createdBy": "ops-key", "createdAt": "2026-11-30T09:00:00", "wechat": { "massSendId": 77, "state": "sent", "addressed": 21400, "skippedMonthly": 0, "calls": 3, "reported": 3, "totalCount": 21400, "filterCount": 21250, "sentCount": 21240, "errorCount": 10 } }""";
}
