using System.Globalization;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;
using WechatGateway.Push;

namespace WechatGateway.Events;

/// <summary>
/// Worker job: reminds each registered member of an event starting within <see cref="EventsOptions.ReminderHoursBefore"/>,
/// through the send queue on the channel WeChat allows (<see cref="FollowerChannel"/>), or records why not
/// (<c>event_registration.reminder_note</c>). Each registration is claimed by a conditional update in the transaction
/// that adds the send (key <c>event-reminder:{eventId}:{memberId}</c>), so a member is reminded once.
/// </summary>
public sealed class EventReminderJob(MySqlDataSource dataSource, SendOutbox outbox, FollowerChannel channel, IOptions<EventsOptions> options, TimeProvider time, ILogger<EventReminderJob> logger)
    : PeriodicJob(time, logger)
{
    private const int Batch = 200;

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.ReminderCheckSeconds);

    /// <returns>How many registrations this round reminded or recorded as not remindable.</returns>
    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = Time.GetUtcNow().UtcDateTime;
        const string dueSql = """
            SELECT r.id AS RegistrationId, r.event_id AS EventId, r.member_id AS MemberId, e.title AS Title, e.starts_at AS StartsAt, s.name AS StoreName
            FROM store_event e
            JOIN event_registration r ON r.event_id = e.id AND r.status = @registered AND r.reminded_at IS NULL
            LEFT JOIN store s ON s.id = e.store_id
            WHERE e.starts_at > @now AND e.starts_at <= @soon
            ORDER BY e.starts_at, r.position LIMIT @Batch
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var due = (await c.QueryAsync<DueReminder>(new CommandDefinition(dueSql, new { registered = RegistrationStatus.Registered, now, soon = now + TimeSpan.FromHours(options.Value.ReminderHoursBefore), Batch }, cancellationToken: ct))).AsList();
        var decided = 0;
        foreach (var reminder in due)
        {
            var choice = await channel.ChooseAsync(c, reminder.MemberId, null, TemplateOf, now, ct);
            await using var t = await c.BeginTransactionAsync(ct);
            const string claim = """
                UPDATE event_registration SET reminded_at = @now, reminder_note = @note
                WHERE id = @RegistrationId AND status = @registered AND reminded_at IS NULL
                """;
            var note = choice.SkipReason ?? $"queued as a {choice.Kind.ToString()!.ToLowerInvariant()} message";
            if (await c.ExecuteAsync(new CommandDefinition(claim, new { now, note, reminder.RegistrationId, registered = RegistrationStatus.Registered }, t, cancellationToken: ct)) == 0)
            {
                await t.RollbackAsync(ct);
                continue;
            }

            if (choice.Kind is { } kind)
            {
                var template = TemplateBody(reminder, choice);
                var key = $"event-reminder:{reminder.EventId}:{reminder.MemberId}";
                await outbox.AddAsync(c, t, kind == SendKind.Custom
                    ? new OutboundMessage(choice.AppId!, choice.OpenId!, reminder.MemberId, kind, CustomBody(reminder, choice), key, template)
                    : new OutboundMessage(choice.AppId!, choice.OpenId!, reminder.MemberId, kind, template!, key), ct);
            }

            await t.CommitAsync(ct);
            decided++;
        }

        if (decided > 0)
        {
            outbox.Committed();
            logger.LogInformation("Event reminders: {Count} registrations reminded or noted", decided);
        }

        return decided;
    }

    private string? TemplateOf(string appId) => options.Value.ReminderTemplates.GetValueOrDefault(appId);

    private string Text(DueReminder r) => options.Value.ReminderText
        .Replace("{title}", r.Title, StringComparison.Ordinal)
        .Replace("{store}", r.StoreName ?? "", StringComparison.Ordinal)
        .Replace("{startsAt}", r.StartsAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private string CustomBody(DueReminder r, ChannelChoice to) =>
        JsonSerializer.Serialize(new { touser = to.OpenId, msgtype = "text", text = new { content = Text(r) } });

    private string? TemplateBody(DueReminder r, ChannelChoice to) => TemplateOf(to.AppId!) is { } templateId
        ? JsonSerializer.Serialize(new
        {
            touser = to.OpenId,
            template_id = templateId,
            data = new Dictionary<string, object>
            {
                ["first"] = new { value = Text(r) },
                ["keyword1"] = new { value = r.Title },
                ["keyword2"] = new { value = r.StartsAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) },
                ["keyword3"] = new { value = r.StoreName ?? "" },
            },
        })
        : null;

    private sealed class DueReminder
    {
        public ulong RegistrationId { get; init; }
        public ulong EventId { get; init; }
        public ulong MemberId { get; init; }
        public string Title { get; init; } = "";
        public DateTime StartsAt { get; init; }
        public string? StoreName { get; init; }
    }
}
