using Microsoft.Extensions.Options;
using WechatGateway.Accounts;
using WechatGateway.Push;
using WechatGateway.Replies;
using WechatGateway.Segments;

namespace WechatGateway.Campaigns;

/// <summary>
/// <c>POST /api/admin/campaigns</c>'s body. <paramref name="AppId"/> is optional: a segment names its account, and a
/// campaign naming another is refused.
/// </summary>
/// <param name="Reply">customer-service: the message, any reply type the channel sends (text, image, news), Liquid in its text.</param>
/// <param name="Template">template and subscribe: the template id and keyword values (Liquid), the link or page opened on tap.</param>
/// <param name="Schedule">null: now; <c>{ "at" }</c>: once then; <c>{ "cron", "timeZone" }</c>: every occurrence.</param>
/// <param name="RatePerSecond">Sends per second; at most the account's quota less the reply reserve (the default).</param>
public sealed record CampaignRequest(
    string? Name, ulong? SegmentId, string? AppId, string? Channel, ReplyBody? Reply, CampaignTemplate? Template,
    CampaignScheduleRequest? Schedule, int? RatePerSecond, QuietHoursRequest? QuietHours);

/// <param name="Miniprogram">template: <c>{ "appid", "pagepath" }</c>, the mini-program page opened instead of <paramref name="Url"/>.</param>
/// <param name="Page">subscribe: the mini-program page opened on tap.</param>
public sealed record CampaignTemplate(string? TemplateId, IReadOnlyDictionary<string, string>? Data, string? Url, MiniProgramPage? Miniprogram, string? Page);

public sealed record CampaignScheduleRequest(DateTimeOffset? At, string? Cron, string? TimeZone);

/// <summary>Times of day (HH:mm) in the schedule's time zone; <c>from</c> after <c>to</c> spans midnight.</summary>
public sealed record QuietHoursRequest(string? From, string? To);

/// <summary>A campaign request checked: what to save, its message compiled, or the errors by field.</summary>
public sealed record CampaignDraft(NewCampaign? Campaign, CompiledReply? Message, ICampaignChannel? Channel, IReadOnlyDictionary<string, string[]> Errors);

/// <summary>
/// Checks a campaign before it is saved or previewed: every bad input the issue names is a 400 with its field — an
/// unknown or foreign segment, Liquid that does not compile, a template the account does not have, a cron that never
/// fires, a rate above what the account's quota leaves campaigns.
/// </summary>
public sealed class CampaignDrafts(
    SegmentStore segments,
    CampaignChannels channels,
    AccountRegistry accounts,
    LiquidTemplates liquid,
    IOptions<CampaignOptions> options,
    IOptions<SendQueueOptions> queue,
    TimeProvider time)
{
    public async Task<CampaignDraft> CheckAsync(CampaignRequest request, string actor, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            errors["name"] = ["a name of 1 to 200 characters is required"];
        }

        var appId = await AccountOfAsync(request, errors, ct);
        var channel = channels.Find(request.Channel);
        if (channel is null)
        {
            errors["channel"] = [$"channel must be one of {string.Join(", ", channels.Names)}"];
        }

        var message = channel is null ? null : Compile(channel, request.Reply, request.Template, errors, "");
        if (message is not null && appId is not null && errors.Count == 0)
        {
            foreach (var (field, problems) in await channel!.ValidateAsync(appId, message.Body, ct))
            {
                errors[field] = problems;
            }
        }

        var now = time.GetUtcNow().UtcDateTime;
        var (schedule, scheduleErrors) = CampaignSchedule.Parse(request.Schedule?.At?.UtcDateTime, NullIfBlank(request.Schedule?.Cron), NullIfBlank(request.Schedule?.TimeZone),
            request.QuietHours?.From, request.QuietHours?.To, options.Value.DefaultTimeZone, now, isNew: true);
        foreach (var (field, problems) in scheduleErrors)
        {
            errors[field] = problems;
        }

        var maxRate = options.Value.MaxRate(queue.Value.PerAccountPerSecond);
        var rate = request.RatePerSecond ?? maxRate;
        if (rate < 1 || rate > maxRate)
        {
            errors["ratePerSecond"] = [$"ratePerSecond must be between 1 and {maxRate}: the account's quota (SendQueue:PerAccountPerSecond {queue.Value.PerAccountPerSecond}) less the {options.Value.ReplyReservePercent}% kept for replies"];
        }

        if (errors.Count > 0)
        {
            return new CampaignDraft(null, message, channel, errors);
        }

        return new CampaignDraft(new NewCampaign(appId!, request.Name!.Trim(), request.SegmentId!.Value, channel!.Name, message!.Body,
            schedule!.At, NullIfBlank(request.Schedule?.Cron), NullIfBlank(request.Schedule?.TimeZone), rate, request.QuietHours?.From, request.QuietHours?.To,
            schedule.FirstRun(now), actor), message, channel, errors);
    }

    private async Task<string?> AccountOfAsync(CampaignRequest request, Dictionary<string, string[]> errors, CancellationToken ct)
    {
        if (request.SegmentId is not { } segmentId || await segments.GetAsync(segmentId, ct) is not { } segment)
        {
            errors["segmentId"] = ["segmentId must name a saved segment"];
            return null;
        }

        if (request.AppId is { } asked && segment.AppId is { } own && asked != own)
        {
            errors["segmentId"] = [$"segment {segmentId} is of the account {own}, not {asked}"];
            return null;
        }

        var appId = request.AppId ?? segment.AppId;
        if (appId is null || accounts.Find(appId) is null)
        {
            errors["appId"] = [appId is null ? "the segment names no account: give appId" : $"{appId} is not a configured account"];
            return null;
        }

        return appId;
    }

    /// <summary>The channel's message from a request (a campaign's, a journey step's), compiled (Liquid parsed against the model's fields); errors under <paramref name="prefix"/>.</summary>
    internal CompiledReply? Compile(ICampaignChannel channel, ReplyBody? reply, CampaignTemplate? template, Dictionary<string, string[]> errors, string prefix)
    {
        var usesTemplate = channel.MessageTypes.Any(t => t is ReplyBody.Template or ReplyBody.Subscribe);
        var body = usesTemplate
            ? template is { } t
                ? new ReplyBody(channel.MessageTypes[0], WechatTemplateId: t.TemplateId, Url: t.Url, MiniProgram: t.Miniprogram, Page: t.Page, Data: t.Data)
                : null
            : reply;
        var field = prefix + (usesTemplate ? "template" : "reply");
        if (body is null)
        {
            errors[field] = [$"a {channel.Name} campaign needs \"{field}\""];
            return null;
        }

        if (!channel.MessageTypes.Contains(body.Type))
        {
            errors[$"{field}.type"] = [$"a {channel.Name} campaign sends {string.Join(", ", channel.MessageTypes)}"];
            return null;
        }

        try
        {
            return CompiledReply.Compile(body, liquid);
        }
        catch (ReplyValidationException e)
        {
            errors[$"{field}.{TemplateField(e.Field)}"] = [e.Message];
            return null;
        }
    }

    // The compiled reply names its fields as a reply does (wechatTemplateId); the campaign's template says templateId.
    private static string TemplateField(string field) => field == "wechatTemplateId" ? "templateId" : field;

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
