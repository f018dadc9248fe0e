using System.Security.Claims;
using System.Xml;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using WechatGateway.Accounts;
using WechatGateway.Admin;
using WechatGateway.Campaigns;
using WechatGateway.Members;
using WechatGateway.Operations;
using WechatGateway.Replies;

namespace WechatGateway.Journeys;

/// <summary><c>POST /api/admin/journeys</c>'s body: a campaign for one member, triggered by a stage move, in steps.</summary>
public sealed record JourneyRequest(string? AppId, string? Name, JourneyTrigger? Trigger, IReadOnlyList<JourneyStepRequest>? Steps);

/// <param name="Stage">The stage a member moves to: follower, registered, customer, repeat, dormant or lost.</param>
/// <param name="Event">
/// Instead of a stage: <c>follow</c>, a first follow of the account through a push (a welcome series), or
/// <c>points-expiry</c>, the member's points are about to expire (one step, <c>PT0S</c>).
/// </param>
public sealed record JourneyTrigger(string? Stage, string? Event);

/// <param name="After">ISO-8601 duration after the move (<c>PT0S</c> at once, <c>P3D</c> three days later).</param>
public sealed record JourneyStepRequest(string? After, string? Channel, ReplyBody? Reply, CampaignTemplate? Template);

/// <summary>
/// <c>/api/admin/journeys</c>: lifecycle journeys (a welcome series on follow, a win-back on dormant, a thank-you on the
/// first order). Created by admin keys; anyone may read the figures of each step.
/// </summary>
public static class JourneyEndpoints
{
    public const int MaxSteps = 10;

    /// <summary>The stages a journey can be triggered by (merged members are gone).</summary>
    public static readonly string[] Stages = [MemberStage.Follower, MemberStage.Registered, MemberStage.Customer, MemberStage.Repeat, MemberStage.Dormant, MemberStage.Lost];

    public sealed record JourneyView(ulong Id, string AppId, string Name, string TriggerStage, IReadOnlyList<StepFigures> Steps, string CreatedBy, DateTime CreatedAt);

    private const string CreateRequest = """
        { "appId": "wx_brand", "name": "win-back", "trigger": { "stage": "dormant" },
          "steps": [ { "after": "PT0S", "channel": "template", "template": { "templateId": "TPL_MISS_YOU", "data": { "first": "We miss you, {{ member.nickname }}" }, "url": "https://example-brand.cn/back" } },
                     { "after": "P3D", "channel": "template", "template": { "templateId": "TPL_COUPON", "data": { "first": "A coupon for your next visit" } } } ] }
        """;

    private const string Example = """
        { "id": 3, "appId": "wx_brand", "name": "win-back", "triggerStage": "dormant",
          "steps": [ { "stepNo": 0, "afterSeconds": 0, "channel": "template", "pending": 0, "queued": 120, "sent": 118, "failed": 2, "skipped": 14, "skippedByReason": { "unfollowed": 9, "moved-on": 5 } },
                     { "stepNo": 1, "afterSeconds": 259200, "channel": "template", "pending": 80, "queued": 30, "sent": 30, "failed": 0, "skipped": 10, "skippedByReason": { "moved-on": 10 } } ],
          "createdBy": "admin", "createdAt": "2026-12-01T08:00:00Z" }
        """;

    public static RouteGroupBuilder MapJourneys(this RouteGroupBuilder admin)
    {
        var journeys = admin.MapGroup("/journeys").WithTags("Journeys");
        journeys.MapGet("", ListAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("Journeys, newest first, each step with its figures.");
        journeys.MapGet("/{id}", GetAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One journey: per step pending, queued, sent, failed, skipped and skippedByReason (moved-on: the member changed stage before the step was due).");
        journeys.MapPost("", CreateAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("Creates a journey: from the next move of a member to trigger.stage (or the next first follow, trigger.event follow), each step is sent once per move after its delay through its channel, unless the member has moved on. 400 naming the field.");
        return admin;
    }

    [ResponseExample("[" + Example + "]")]
    public static async Task<Ok<IReadOnlyList<JourneyView>>> ListAsync(string? appId, [FromServices] JourneyStore store, CancellationToken ct)
    {
        var views = new List<JourneyView>();
        foreach (var row in await store.ListAsync(appId, ct))
        {
            views.Add(ViewOf(row, await store.FiguresAsync(row.Id, ct)));
        }

        return TypedResults.Ok<IReadOnlyList<JourneyView>>(views);
    }

    [ResponseExample(Example)]
    public static async Task<Results<Ok<JourneyView>, NotFound>> GetAsync(ulong id, [FromServices] JourneyStore store, CancellationToken ct) =>
        await store.GetAsync(id, ct) is { } row ? TypedResults.Ok(ViewOf(row, await store.FiguresAsync(id, ct))) : TypedResults.NotFound();

    [RequestExample(CreateRequest)]
    [ResponseExample("""{ "id": 3 }""")]
    public static async Task<Results<Created<CampaignEndpoints.Created>, ValidationProblem>> CreateAsync(
        JourneyRequest request, ClaimsPrincipal user, [FromServices] CampaignDrafts drafts, [FromServices] CampaignChannels channels,
        [FromServices] AccountRegistry accounts, [FromServices] JourneyStore store, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            errors["name"] = ["a name of 1 to 200 characters is required"];
        }

        if (request.AppId is null || accounts.Find(request.AppId) is null)
        {
            errors["appId"] = ["appId must name a configured account"];
        }

        var triggerEvent = request.Trigger?.Event;
        var pointsExpiry = triggerEvent == JourneyTriggers.PointsExpiry;
        if (triggerEvent is not null && !JourneyTriggers.Events.Contains(triggerEvent))
        {
            errors["trigger.event"] = [$"trigger.event must be one of {string.Join(", ", JourneyTriggers.Events)}"];
        }
        else if (triggerEvent is null && (request.Trigger?.Stage is not { } stage || !Stages.Contains(stage)))
        {
            errors["trigger.stage"] = [$"trigger.stage must be one of {string.Join(", ", Stages)}, or trigger.event one of {string.Join(", ", JourneyTriggers.Events)}"];
        }

        if (pointsExpiry && request.Steps is { } reminderSteps && (reminderSteps.Count != 1 || reminderSteps[0].After is not ("PT0S" or null)))
        {
            errors["steps"] = ["a points-expiry journey has one step, sent when the reminder is due (after PT0S)"];
        }

        if (request.Steps is not { Count: > 0 and <= MaxSteps } steps)
        {
            errors["steps"] = [$"1 to {MaxSteps} steps"];
            return TypedResults.ValidationProblem(errors);
        }

        var checkedSteps = new List<NewJourneyStep>();
        for (var i = 0; i < steps.Count; i++)
        {
            if (await CheckStepAsync(steps[i], $"steps[{i}].", request.AppId, errors, drafts, channels, ct) is { } step)
            {
                checkedSteps.Add(step);
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var id = await store.CreateAsync(new NewJourney(request.AppId!, request.Name!.Trim(), triggerEvent ?? request.Trigger!.Stage!, checkedSteps, user.Actor()), ct);
        return TypedResults.Created($"/api/admin/journeys/{id}", new CampaignEndpoints.Created(id));
    }

    private static async Task<NewJourneyStep?> CheckStepAsync(
        JourneyStepRequest step, string prefix, string? appId, Dictionary<string, string[]> errors, CampaignDrafts drafts, CampaignChannels channels, CancellationToken ct)
    {
        TimeSpan after = default;
        try
        {
            after = XmlConvert.ToTimeSpan(step.After ?? "PT0S");
        }
        catch (FormatException)
        {
            errors[prefix + "after"] = ["after must be an ISO-8601 duration such as PT0S, PT12H or P3D"];
        }

        if (after < TimeSpan.Zero || after > TimeSpan.FromDays(365))
        {
            errors[prefix + "after"] = ["after must be between PT0S and P365D"];
        }

        if (channels.Find(step.Channel) is not { } channel)
        {
            errors[prefix + "channel"] = [$"channel must be one of {string.Join(", ", channels.Names)}"];
            return null;
        }

        if (drafts.Compile(channel, step.Reply, step.Template, errors, prefix) is not { } message || appId is null)
        {
            return null;
        }

        foreach (var (field, problems) in await channel.ValidateAsync(appId, message.Body, ct))
        {
            errors[prefix + field] = problems;
        }

        return new NewJourneyStep(after, channel.Name, message.Body);
    }

    private static JourneyView ViewOf(JourneyRow row, IReadOnlyList<StepFigures> steps) =>
        new(row.Id, row.AppId, row.Name, row.TriggerStage, steps, row.CreatedBy, row.CreatedAt);
}
