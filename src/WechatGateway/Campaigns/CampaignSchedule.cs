using System.Globalization;
using Cronos;

namespace WechatGateway.Campaigns;

/// <summary>The <c>campaign.status</c> and <c>campaign_run.status</c> values.</summary>
public static class CampaignStatus
{
    public const string Scheduled = "scheduled";
    public const string Running = "running";
    public const string Paused = "paused";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";

    /// <summary>A run copying its audience from the segment; it sends once the whole audience is frozen.</summary>
    public const string Freezing = "freezing";

    /// <summary>Runs the engine advances.</summary>
    public static readonly string[] Active = [Freezing, Running];

    /// <summary>A campaign in one of these is over: it cannot be paused, resumed or cancelled (409).</summary>
    public static readonly string[] Final = [Completed, Cancelled];
}

/// <summary>The <c>campaign_recipient.outcome</c> values.</summary>
public static class RecipientOutcome
{
    public const string Queued = "queued";
    public const string Skipped = "skipped";

    /// <summary>Sent by a channel that sends itself (<see cref="IChannelDispatch"/>); the outbox's sends stay queued here.</summary>
    public const string Sent = "sent";

    /// <summary>Refused by WeChat for a channel that sends itself; the reason is WeChat's errcode.</summary>
    public const string Failed = "failed";
}

/// <summary>
/// When a campaign runs and when it holds back: one <c>at</c>, a cron expression in a time zone (Cronos, five fields),
/// or now; and the quiet hours in that time zone during which nothing is sent (a run waits, it does not skip).
/// </summary>
public sealed class CampaignSchedule
{
    private readonly CronExpression? _cron;
    private readonly TimeOnly? _quietFrom;
    private readonly TimeOnly? _quietTo;

    private CampaignSchedule(DateTime? at, CronExpression? cron, TimeZoneInfo zone, TimeOnly? quietFrom, TimeOnly? quietTo)
    {
        At = at;
        _cron = cron;
        Zone = zone;
        _quietFrom = quietFrom;
        _quietTo = quietTo;
    }

    /// <summary>UTC.</summary>
    public DateTime? At { get; }

    public TimeZoneInfo Zone { get; }

    public bool Recurring => _cron is not null;

    /// <summary>Builds a schedule from its stored or requested parts; errors by field (empty when valid).</summary>
    public static (CampaignSchedule? Schedule, Dictionary<string, string[]> Errors) Parse(
        DateTime? at, string? cron, string? timeZone, string? quietFrom, string? quietTo, string defaultTimeZone, DateTime now, bool isNew)
    {
        var errors = new Dictionary<string, string[]>();
        TimeZoneInfo zone = TimeZoneInfo.Utc;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(string.IsNullOrWhiteSpace(timeZone) ? defaultTimeZone : timeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            errors["schedule.timeZone"] = [$"unknown time zone '{timeZone}' (an IANA name such as Asia/Shanghai)"];
        }

        CronExpression? expression = null;
        if (at is not null && cron is not null)
        {
            errors["schedule"] = ["give either at or cron, not both"];
        }
        else if (cron is not null)
        {
            try
            {
                expression = CronExpression.Parse(cron, CronFormat.Standard);
                if (!errors.ContainsKey("schedule.timeZone") && expression.GetNextOccurrence(now, zone) is null)
                {
                    errors["schedule.cron"] = [$"'{cron}' never fires"];
                }
            }
            catch (CronFormatException e)
            {
                errors["schedule.cron"] = [$"'{cron}' is not a five-field cron expression: {e.Message}"];
            }
        }
        else if (isNew && at is { } when && when < now.AddMinutes(-1))
        {
            errors["schedule.at"] = ["at is in the past; leave schedule out to start now"];
        }

        var from = Time(quietFrom, "quietHours.from", errors);
        var to = Time(quietTo, "quietHours.to", errors);
        if ((from is null) != (to is null) && !errors.ContainsKey("quietHours.from") && !errors.ContainsKey("quietHours.to"))
        {
            errors["quietHours"] = ["give both from and to (HH:mm), e.g. 22:00 and 08:00"];
        }
        else if (from is not null && from == to)
        {
            errors["quietHours"] = ["from and to are the same time"];
        }

        return errors.Count > 0 ? (null, errors) : (new CampaignSchedule(at, expression, zone, from, to), errors);
    }

    /// <summary>When the first run is due: the <c>at</c>, the first cron occurrence after <paramref name="now"/>, or now.</summary>
    public DateTime FirstRun(DateTime now) => At ?? Next(now) ?? now;

    /// <summary>The next cron occurrence strictly after <paramref name="after"/> (UTC), or null for a one-off.</summary>
    public DateTime? Next(DateTime after) => _cron?.GetNextOccurrence(DateTime.SpecifyKind(after, DateTimeKind.Utc), Zone);

    /// <summary>Whether <paramref name="utc"/> falls in the quiet hours (which may span midnight: 22:00–08:00).</summary>
    public bool IsQuiet(DateTime utc)
    {
        if (_quietFrom is not { } from || _quietTo is not { } to)
        {
            return false;
        }

        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone));
        return from < to ? local >= from && local < to : local >= from || local < to;
    }

    private static TimeOnly? Time(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (TimeOnly.TryParseExact(value, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return time;
        }

        errors[field] = [$"'{value}' is not a time of day as HH:mm"];
        return null;
    }
}
