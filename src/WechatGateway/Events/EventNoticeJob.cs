using System.Globalization;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;
using WechatGateway.Push;

namespace WechatGateway.Events;

/// <summary>
/// Worker job: the messages an event sends its members, through the send queue on the channel WeChat allows
/// (<see cref="FollowerChannel"/>), or the reason none was sent recorded on the registration:
/// <list type="bullet">
/// <item>the <b>reminder</b> to each registered member of an event starting within <see cref="EventsOptions.ReminderHoursBefore"/>
/// (key <c>event-reminder:{eventId}:{memberId}</c>, recorded in <c>reminded_at</c> / <c>reminder_note</c>);</item>
/// <item>the <b>promotion</b> notice to a member who got a seat from the waitlist when someone cancelled (key
/// <c>event-promoted:{registrationId}:{promotedAt}</c>, recorded in <c>promotion_noted_at</c> / <c>promotion_note</c>).</item>
/// </list>
/// Each is claimed by a conditional update in the transaction that adds the send, so a member gets each message once.
/// The channel is chosen before that transaction: it reads the customer-service window in Redis.
/// </summary>
public sealed class EventNoticeJob(MySqlDataSource dataSource, SendOutbox outbox, FollowerChannel channel, IOptions<EventsOptions> options, TimeProvider time, ILogger<EventNoticeJob> logger)
    : PeriodicJob(time, logger)
{
    private const int Batch = 200;

    private const string DueColumns = """
        r.id AS RegistrationId, r.event_id AS EventId, r.member_id AS MemberId, r.promoted_at AS PromotedAt,
        e.title AS Title, e.starts_at AS StartsAt, s.name AS StoreName
        """;

    private static readonly Notice Reminder = new(
        "reminder",
        $"""
        SELECT {DueColumns}
        FROM store_event e
        JOIN event_registration r ON r.event_id = e.id AND r.status = @registered AND r.reminded_at IS NULL
        LEFT JOIN store s ON s.id = e.store_id
        WHERE e.starts_at > @now AND e.starts_at <= @soon
        ORDER BY e.starts_at, r.position LIMIT @Batch
        """,
        """
        UPDATE event_registration SET reminded_at = @now, reminder_note = @note
        WHERE id = @RegistrationId AND status = @registered AND reminded_at IS NULL
        """,
        due => $"event-reminder:{due.EventId}:{due.MemberId}",
        o => o.ReminderText);

    private static readonly Notice Promotion = new(
        "promotion",
        $"""
        SELECT {DueColumns}
        FROM event_registration r
        JOIN store_event e ON e.id = r.event_id
        LEFT JOIN store s ON s.id = e.store_id
        WHERE r.promotion_noted_at IS NULL AND r.promoted_at IS NOT NULL AND r.status = @registered AND e.starts_at > @now
        ORDER BY r.promoted_at LIMIT @Batch
        """,
        """
        UPDATE event_registration SET promotion_noted_at = @now, promotion_note = @note
        WHERE id = @RegistrationId AND status = @registered AND promoted_at = @PromotedAt AND promotion_noted_at IS NULL
        """,
        due => $"event-promoted:{due.RegistrationId}:{due.PromotedAt!.Value.Ticks}",
        o => o.PromotionText);

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.ReminderCheckSeconds);

    /// <returns>How many notices this round queued or recorded as not sendable.</returns>
    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = Time.GetUtcNow().UtcDateTime;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var decided = await DecideAsync(c, Promotion, now, ct) + await DecideAsync(c, Reminder, now, ct);
        if (decided > 0)
        {
            outbox.Committed();
            logger.LogInformation("Event notices: {Count} queued or noted", decided);
        }

        return decided;
    }

    private async Task<int> DecideAsync(MySqlConnection c, Notice notice, DateTime now, CancellationToken ct)
    {
        var registered = RegistrationStatus.Registered;
        var soon = now + TimeSpan.FromHours(options.Value.ReminderHoursBefore);
        var due = (await c.QueryAsync<Due>(new CommandDefinition(notice.DueSql, new { registered, now, soon, Batch }, cancellationToken: ct))).AsList();
        var decided = 0;
        foreach (var d in due)
        {
            var choice = await channel.ChooseAsync(c, d.MemberId, null, TemplateOf, now, ct);
            await using var t = await c.BeginTransactionAsync(ct);
            var note = choice.SkipReason ?? $"queued as a {choice.Kind.ToString()!.ToLowerInvariant()} message";
            if (await c.ExecuteAsync(new CommandDefinition(notice.ClaimSql, new { now, note, d.RegistrationId, d.PromotedAt, registered }, t, cancellationToken: ct)) == 0)
            {
                await t.RollbackAsync(ct);
                continue;
            }

            if (choice.Kind is { } kind)
            {
                var text = Text(notice.Text(options.Value), d);
                var template = TemplateBody(text, d, choice);
                var key = notice.Key(d);
                await outbox.AddAsync(c, t, kind == SendKind.Custom
                    ? new OutboundMessage(choice.AppId!, choice.OpenId!, d.MemberId, kind, CustomBody(text, choice), key, template)
                    : new OutboundMessage(choice.AppId!, choice.OpenId!, d.MemberId, kind, template!, key), ct);
            }

            await t.CommitAsync(ct);
            logger.LogDebug("Event {EventId}: {Notice} for member {MemberId}: {Note}", d.EventId, notice.Name, d.MemberId, note);
            decided++;
        }

        return decided;
    }

    private string? TemplateOf(string appId) => options.Value.ReminderTemplates.GetValueOrDefault(appId);

    private static string When(Due d) => d.StartsAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Text(string pattern, Due d) => pattern
        .Replace("{title}", d.Title, StringComparison.Ordinal)
        .Replace("{store}", d.StoreName ?? "", StringComparison.Ordinal)
        .Replace("{startsAt}", When(d), StringComparison.Ordinal);

    private static string CustomBody(string text, ChannelChoice to) =>
        JsonSerializer.Serialize(new { touser = to.OpenId, msgtype = "text", text = new { content = text } });

    private string? TemplateBody(string text, Due d, ChannelChoice to) => TemplateOf(to.AppId!) is { } templateId
        ? JsonSerializer.Serialize(new
        {
            touser = to.OpenId,
            template_id = templateId,
            data = new Dictionary<string, object>
            {
                ["first"] = new { value = text },
                ["keyword1"] = new { value = d.Title },
                ["keyword2"] = new { value = When(d) },
                ["keyword3"] = new { value = d.StoreName ?? "" },
            },
        })
        : null;

    /// <summary>One kind of notice: which registrations are due, how one is claimed, its send's key and its text.</summary>
    private sealed record Notice(string Name, string DueSql, string ClaimSql, Func<Due, string> Key, Func<EventsOptions, string> Text);

    private sealed class Due
    {
        public ulong RegistrationId { get; init; }
        public ulong EventId { get; init; }
        public ulong MemberId { get; init; }
        public DateTime? PromotedAt { get; init; }
        public string Title { get; init; } = "";
        public DateTime StartsAt { get; init; }
        public string? StoreName { get; init; }
    }
}
