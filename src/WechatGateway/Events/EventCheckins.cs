using Dapper;
using MySqlConnector;
using WechatGateway.Members;
using WechatGateway.Points;
using WechatGateway.Storage;

namespace WechatGateway.Events;

public enum CheckinOutcome
{
    CheckedIn,

    /// <summary>Not a code we signed: made up, or altered.</summary>
    Forged,

    /// <summary>A genuine ticket of another event.</summary>
    OtherEvent,

    /// <summary>The registration was cancelled (or moved to a new ticket).</summary>
    Revoked,

    /// <summary>Checked in before.</summary>
    AlreadyUsed,
}

public sealed record CheckinResult(CheckinOutcome Outcome, ulong? TicketId = null, ulong? MemberId = null, long Awarded = 0, DateTime? CheckedInAt = null);

/// <summary>
/// Check-in at the door: the code's signature, then its ticket, marked attended by a conditional update (only a ticket
/// not yet checked in and not revoked), and the event's points awarded in the same transaction under the ledger key
/// <c>event-attended:{eventId}:{memberId}</c>, so a member earns an event's points once however many tickets she held.
/// </summary>
public sealed class EventCheckins(MySqlDataSource dataSource, EventTickets tickets, PointsLedger ledger, MemberStore members, TimeProvider time, ILogger<EventCheckins> logger)
{
    public async Task<CheckinResult> CheckInAsync(EventView ev, string? code, string actor, CancellationToken ct)
    {
        if (tickets.Read(code) is not { } read)
        {
            return new CheckinResult(CheckinOutcome.Forged);
        }

        return await DeadlockRetry.RunAsync(
            () => TryCheckInAsync(ev, read, actor, ct),
            error => logger.LogInformation("Check-in of ticket {TicketId} met {Error}; running it again", read.TicketId, error));
    }

    private async Task<CheckinResult> TryCheckInAsync(EventView ev, TicketCode read, string actor, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        const string ticketSql = """
            SELECT id AS Id, event_id AS EventId, member_id AS MemberId, nonce AS Nonce, revoked_at AS RevokedAt, checked_in_at AS CheckedInAt
            FROM event_ticket WHERE id = @TicketId FOR UPDATE
            """;
        var ticket = await c.QuerySingleOrDefaultAsync<StoredTicket>(new CommandDefinition(ticketSql, new { read.TicketId }, t, cancellationToken: ct));
        if (ticket is null || !EventTickets.SameNonce(ticket.Nonce, read.Nonce))
        {
            return new CheckinResult(CheckinOutcome.Forged);
        }

        if (ticket.EventId != ev.Id)
        {
            return new CheckinResult(CheckinOutcome.OtherEvent, ticket.Id);
        }

        if (ticket.CheckedInAt is { } at)
        {
            return new CheckinResult(CheckinOutcome.AlreadyUsed, ticket.Id, ticket.MemberId, 0, at);
        }

        if (ticket.RevokedAt is not null)
        {
            return new CheckinResult(CheckinOutcome.Revoked, ticket.Id);
        }

        long awarded = 0;
        if (ev.Points > 0)
        {
            var change = new PointsChange(ticket.MemberId, ev.Points, $"attended {ev.Title}", $"event-attended:{ev.Id}:{ticket.MemberId}", null, $"event:{ev.Id}");
            var posting = await ledger.PostAsync(c, t, change, ct);
            awarded = posting.Status == PostingStatus.Posted ? posting.Delta : 0;
        }

        const string mark = "UPDATE event_ticket SET checked_in_at = @now, checked_in_by = @actor, awarded = @awarded WHERE id = @Id";
        await c.ExecuteAsync(new CommandDefinition(mark, new { now, actor, awarded, ticket.Id }, t, cancellationToken: ct));
        await members.AddTimelineAsync(c, t, ticket.MemberId, "event", $"attended {ev.Title}", null, $"event-attended:{ev.Id}", ct);
        await t.CommitAsync(ct);
        return new CheckinResult(CheckinOutcome.CheckedIn, ticket.Id, ticket.MemberId, awarded, now);
    }

    private sealed class StoredTicket
    {
        public ulong Id { get; init; }
        public ulong EventId { get; init; }
        public ulong MemberId { get; init; }
        public string Nonce { get; init; } = "";
        public DateTime? RevokedAt { get; init; }
        public DateTime? CheckedInAt { get; init; }
    }
}
