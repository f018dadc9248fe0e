using Dapper;
using MySqlConnector;
using WechatGateway.Segments;
using WechatGateway.Storage;

namespace WechatGateway.Events;

public static class RegistrationStatus
{
    public const string Registered = "registered";
    public const string Waitlisted = "waitlisted";
    public const string Cancelled = "cancelled";
}

public enum RegistrationOutcome
{
    Registered,
    Waitlisted,
    NoSuchEvent,
    AlreadyRegistered,
    DeadlinePassed,

    /// <summary>The event is limited to a segment the member is not in (or that was deleted: nobody is in it).</summary>
    NotInSegment,
}

public sealed record Ticket(ulong Id, string Code);

public sealed record RegistrationResult(RegistrationOutcome Outcome, ulong? RegistrationId = null, Ticket? Ticket = null);

public enum CancelOutcome
{
    Cancelled,
    NotRegistered,

    /// <summary>The ticket was checked in: attendance is history, not a cancellation.</summary>
    Attended,

    /// <summary>The event has started.</summary>
    TooLate,
}

/// <summary>
/// Registration, the waitlist and cancellation. Every change of an event's seats runs with the event's row locked
/// (<c>SELECT … FOR UPDATE</c>), so concurrent registrations for the last seat take it one after another: exactly
/// one gets it, the rest find the event full and join the waitlist. Queue positions come from the same locked row,
/// so the waitlist is promoted in the order members joined it.
/// </summary>
public sealed class EventRegistrations(MySqlDataSource dataSource, EventTickets tickets, SegmentStore segments, TimeProvider time, ILogger<EventRegistrations> logger)
{
    /// <summary>
    /// Erasure and merge (<see cref="Members.MemberTables"/>): a survivor already registered for an event keeps its own
    /// registration; the absorbed member's duplicate is removed, its seat given back to the event.
    /// </summary>
    public static readonly string MergeRegistrations = $"""
        UPDATE IGNORE event_registration SET member_id = @into WHERE member_id = @from;
        UPDATE store_event e JOIN event_registration r ON r.event_id = e.id
           SET e.registered = e.registered - 1 WHERE r.member_id = @from AND r.status = '{RegistrationStatus.Registered}';
        UPDATE event_ticket t JOIN event_registration r ON r.id = t.registration_id
           SET t.revoked_at = UTC_TIMESTAMP(6) WHERE r.member_id = @from AND t.revoked_at IS NULL;
        DELETE FROM event_registration WHERE member_id = @from;
        """;

    public async Task<RegistrationResult> RegisterAsync(ulong eventId, ulong memberId, CancellationToken ct) =>
        await DeadlockRetry.RunAsync(
            () => TryRegisterAsync(eventId, memberId, ct),
            error => logger.LogInformation("Registration of member {MemberId} for event {EventId} met {Error}; running it again", memberId, eventId, error));

    public async Task<CancelOutcome> CancelAsync(ulong eventId, ulong memberId, CancellationToken ct) =>
        await DeadlockRetry.RunAsync(
            () => TryCancelAsync(eventId, memberId, ct),
            error => logger.LogInformation("Cancellation of member {MemberId} for event {EventId} met {Error}; running it again", memberId, eventId, error));

    private async Task<RegistrationResult> TryRegisterAsync(ulong eventId, ulong memberId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        var ev = await LockEventAsync(c, t, eventId, ct);
        if (ev is null)
        {
            return new RegistrationResult(RegistrationOutcome.NoSuchEvent);
        }

        if (now >= (ev.RegistrationDeadline ?? ev.StartsAt))
        {
            return new RegistrationResult(RegistrationOutcome.DeadlinePassed);
        }

        if (ev.SegmentId is { } segmentId && !await InSegmentAsync(c, t, segmentId, memberId, ct))
        {
            return new RegistrationResult(RegistrationOutcome.NotInSegment);
        }

        const string existingSql = "SELECT id AS Id, status AS Status FROM event_registration WHERE event_id = @eventId AND member_id = @memberId FOR UPDATE";
        var existing = await c.QuerySingleOrDefaultAsync<(ulong Id, string Status)?>(new CommandDefinition(existingSql, new { eventId, memberId }, t, cancellationToken: ct));
        if (existing is { Status: not RegistrationStatus.Cancelled })
        {
            return new RegistrationResult(RegistrationOutcome.AlreadyRegistered, existing.Value.Id);
        }

        var seat = ev.Registered < ev.Capacity;
        var status = seat ? RegistrationStatus.Registered : RegistrationStatus.Waitlisted;
        var position = ev.LastPosition + 1;
        ulong registrationId;
        if (existing is { } again)
        {
            // Registering again after a cancellation: the same row, at the end of the queue.
            const string reuse = """
                UPDATE event_registration SET status = @status, position = @position, updated_at = @now, reminded_at = NULL, reminder_note = NULL,
                       promoted_at = NULL, promotion_noted_at = NULL, promotion_note = NULL
                WHERE id = @Id
                """;
            await c.ExecuteAsync(new CommandDefinition(reuse, new { status, position, now, again.Id }, t, cancellationToken: ct));
            registrationId = again.Id;
        }
        else
        {
            const string insert = """
                INSERT INTO event_registration (event_id, member_id, status, position, created_at, updated_at) VALUES (@eventId, @memberId, @status, @position, @now, @now);
                SELECT LAST_INSERT_ID();
                """;
            registrationId = await c.ExecuteScalarAsync<ulong>(new CommandDefinition(insert, new { eventId, memberId, status, position, now }, t, cancellationToken: ct));
        }

        const string take = "UPDATE store_event SET last_position = @position, registered = registered + @taken WHERE id = @eventId";
        await c.ExecuteAsync(new CommandDefinition(take, new { position, taken = seat ? 1 : 0, eventId }, t, cancellationToken: ct));
        var ticket = seat ? await IssueTicketAsync(c, t, registrationId, eventId, memberId, now, ct) : null;
        await t.CommitAsync(ct);
        return new RegistrationResult(seat ? RegistrationOutcome.Registered : RegistrationOutcome.Waitlisted, registrationId, ticket);
    }

    private async Task<CancelOutcome> TryCancelAsync(ulong eventId, ulong memberId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        await using var t = await c.BeginTransactionAsync(ct);
        var ev = await LockEventAsync(c, t, eventId, ct);
        const string mineSql = """
            SELECT id AS Id, status AS Status FROM event_registration
            WHERE event_id = @eventId AND member_id = @memberId AND status <> @cancelled FOR UPDATE
            """;
        var mine = ev is null ? null : await c.QuerySingleOrDefaultAsync<(ulong Id, string Status)?>(new CommandDefinition(mineSql, new { eventId, memberId, cancelled = RegistrationStatus.Cancelled }, t, cancellationToken: ct));
        if (ev is null || mine is not { } registration)
        {
            return CancelOutcome.NotRegistered;
        }

        if (now >= ev.StartsAt)
        {
            return CancelOutcome.TooLate;
        }

        const string revoke = """
            UPDATE event_ticket SET revoked_at = @now WHERE registration_id = @Id AND revoked_at IS NULL AND checked_in_at IS NULL;
            SELECT COUNT(*) FROM event_ticket WHERE registration_id = @Id AND checked_in_at IS NOT NULL;
            """;
        if (await c.ExecuteScalarAsync<long>(new CommandDefinition(revoke, new { now, registration.Id }, t, cancellationToken: ct)) > 0)
        {
            return CancelOutcome.Attended;
        }

        const string cancel = "UPDATE event_registration SET status = @cancelled, updated_at = @now WHERE id = @Id";
        await c.ExecuteAsync(new CommandDefinition(cancel, new { cancelled = RegistrationStatus.Cancelled, now, registration.Id }, t, cancellationToken: ct));
        if (registration.Status == RegistrationStatus.Registered)
        {
            await PromoteAsync(c, t, eventId, now, ct);
        }

        await t.CommitAsync(ct);
        return CancelOutcome.Cancelled;
    }

    /// <summary>Gives the freed seat to the first of the waitlist, with a ticket; or, with no one waiting, back to the event.</summary>
    private async Task PromoteAsync(MySqlConnection c, MySqlTransaction t, ulong eventId, DateTime now, CancellationToken ct)
    {
        const string firstSql = """
            SELECT id AS Id, member_id AS MemberId FROM event_registration
            WHERE event_id = @eventId AND status = @waitlisted ORDER BY position LIMIT 1 FOR UPDATE
            """;
        var first = await c.QuerySingleOrDefaultAsync<(ulong Id, ulong MemberId)?>(new CommandDefinition(firstSql, new { eventId, waitlisted = RegistrationStatus.Waitlisted }, t, cancellationToken: ct));
        if (first is not { } next)
        {
            const string free = "UPDATE store_event SET registered = registered - 1 WHERE id = @eventId";
            await c.ExecuteAsync(new CommandDefinition(free, new { eventId }, t, cancellationToken: ct));
            return;
        }

        // promoted_at tells EventNoticeJob to tell her: the channel it chooses reads Redis, which stays out of this transaction.
        const string promote = "UPDATE event_registration SET status = @registered, updated_at = @now, promoted_at = @now WHERE id = @Id";
        await c.ExecuteAsync(new CommandDefinition(promote, new { registered = RegistrationStatus.Registered, now, next.Id }, t, cancellationToken: ct));
        await IssueTicketAsync(c, t, next.Id, eventId, next.MemberId, now, ct);
    }

    /// <summary>Whether the member is in the segment now, by the same SQL that counts it and picks a campaign's audience.</summary>
    private async Task<bool> InSegmentAsync(MySqlConnection c, MySqlTransaction t, ulong segmentId, ulong memberId, CancellationToken ct) =>
        await segments.GetAsync(c, t, segmentId, ct) is { } segment
        && SegmentSql.Holds(segments.WithTierScale(segment.Filter), memberId) is var holds
        && await c.ExecuteScalarAsync<bool>(new CommandDefinition(holds.Sql, holds.Parameters, t, cancellationToken: ct));

    private async Task<Ticket> IssueTicketAsync(MySqlConnection c, MySqlTransaction t, ulong registrationId, ulong eventId, ulong memberId, DateTime now, CancellationToken ct)
    {
        var nonce = EventTickets.NewNonce();
        const string sql = """
            INSERT INTO event_ticket (registration_id, event_id, member_id, nonce, issued_at) VALUES (@registrationId, @eventId, @memberId, @nonce, @now);
            SELECT LAST_INSERT_ID();
            """;
        var id = await c.ExecuteScalarAsync<ulong>(new CommandDefinition(sql, new { registrationId, eventId, memberId, nonce, now }, t, cancellationToken: ct));
        return new Ticket(id, tickets.Code(id, nonce));
    }

    private static async Task<LockedEvent?> LockEventAsync(MySqlConnection c, MySqlTransaction t, ulong eventId, CancellationToken ct)
    {
        const string sql = """
            SELECT id AS Id, capacity AS Capacity, registered AS Registered, last_position AS LastPosition, starts_at AS StartsAt,
                   registration_deadline AS RegistrationDeadline, segment_id AS SegmentId
            FROM store_event WHERE id = @eventId FOR UPDATE
            """;
        return await c.QuerySingleOrDefaultAsync<LockedEvent>(new CommandDefinition(sql, new { eventId }, t, cancellationToken: ct));
    }

    private sealed class LockedEvent
    {
        public ulong Id { get; init; }
        public long Capacity { get; init; }
        public long Registered { get; init; }
        public ulong LastPosition { get; init; }
        public DateTime StartsAt { get; init; }
        public DateTime? RegistrationDeadline { get; init; }
        public ulong? SegmentId { get; init; }
    }
}
