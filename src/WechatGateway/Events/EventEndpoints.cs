using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Members;
using WechatGateway.Operations;
using WechatGateway.Segments;

namespace WechatGateway.Events;

/// <summary>
/// <c>/api/admin/events</c>: ops create and list events; a store's managers check tickets in at the door
/// (<c>POST /api/admin/events/{id}/checkins</c>), which only the event store's managers (and admins) may do.
/// </summary>
public static class EventEndpoints
{
    public sealed record EventCreated(ulong Id);

    public sealed record CheckinRequest(string? Code);

    public sealed record CheckinResponse(ulong TicketId, string MemberId, string? Nickname, long Awarded, DateTime CheckedInAt);

    public sealed record RegistrationView(ulong RegistrationId, string MemberId, string? Nickname, string Status, long Position, ulong? TicketId, DateTime? CheckedInAt, DateTime RegisteredAt);

    public static RouteGroupBuilder MapEventsAdmin(this RouteGroupBuilder admin)
    {
        var events = admin.MapGroup("/events").WithTags("Events");
        events.MapPost("", CreateAsync).RequireAuthorization(AdminPolicies.Write)
            .WithSummary("Creates an event of a store (store managers: their own stores), with an optional registration deadline and segment allowed to register.");
        events.MapGet("", ListAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("Events, soonest first, with seats taken, waitlist and check-ins; ?upcoming=true for those not yet ended.");
        events.MapGet("/{id}", GetAsync).RequireAuthorization(AdminPolicies.Read).WithSummary("One event with its counts.");
        events.MapGet("/{id}/registrations", RegistrationsAsync).RequireAuthorization(AdminPolicies.Read).AuditReads()
            .WithSummary("An event's registrations in queue order, with their tickets and check-ins.");
        events.MapPost("/{id}/checkins", CheckInAsync).RequireAuthorization(AdminPolicies.Write)
            .WithSummary("Checks a ticket in at the door (the event store's managers and admins): marks attendance and awards the event's points once. 400 for a forged or altered code, 409 for a used or cancelled ticket, 422 for another event's.");
        return admin;
    }

    [RequestExample("""{ "storeId": 3, "title": "Pour-over tasting", "startsAt": "2026-12-12T06:00:00Z", "endsAt": "2026-12-12T08:00:00Z", "capacity": 20, "points": 50, "registrationDeadline": "2026-12-11T12:00:00Z", "segmentId": null }""")]
    [ResponseExample("""{ "id": 7 }""", StatusCode = 201)]
    public static async Task<Results<Created<EventCreated>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        EventInput input, ClaimsPrincipal user, MySqlDataSource dataSource, SegmentStore segments, TimeProvider time, CancellationToken ct)
    {
        if (input.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (!user.CanWriteStore(input.StoreId!.Value))
        {
            return NotYourStore();
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        if (await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM store WHERE id = @StoreId AND active = 1", new { input.StoreId }, cancellationToken: ct)) == 0)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["storeId"] = ["no active store has this id"] });
        }

        if (input.SegmentId is { } segmentId && await segments.GetAsync(c, null, (ulong)segmentId, ct) is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["segmentId"] = ["no segment has this id"] });
        }

        var id = await EventStore.CreateAsync(c, input, user.Actor(), time.GetUtcNow().UtcDateTime, ct);
        return TypedResults.Created($"/api/admin/events/{id}", new EventCreated(id));
    }

    [ResponseExample("""[ { "id": 7, "storeId": 3, "storeName": "Jing'an", "title": "Pour-over tasting", "startsAt": "2026-12-12T06:00:00", "endsAt": "2026-12-12T08:00:00", "capacity": 20, "points": 50, "registrationDeadline": "2026-12-11T12:00:00", "segmentId": null, "registered": 20, "waitlisted": 4, "checkedIn": 0, "seatsLeft": 0 } ]""")]
    public static async Task<Ok<IReadOnlyList<EventView>>> ListAsync(long? storeId, bool? upcoming, ClaimsPrincipal user, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return TypedResults.Ok(await EventStore.ListAsync(c, user.StoresOf(), storeId, upcoming == true ? time.GetUtcNow().UtcDateTime : null, 500, ct));
    }

    [ResponseExample("""{ "id": 7, "storeId": 3, "storeName": "Jing'an", "title": "Pour-over tasting", "startsAt": "2026-12-12T06:00:00", "endsAt": "2026-12-12T08:00:00", "capacity": 20, "points": 50, "registrationDeadline": null, "segmentId": null, "registered": 18, "waitlisted": 0, "checkedIn": 0, "seatsLeft": 2 }""")]
    public static async Task<Results<Ok<EventView>, NotFound>> GetAsync(ulong id, ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await EventStore.GetAsync(c, id, ct) is { } ev && user.CanReadStore((long)ev.StoreId) ? TypedResults.Ok(ev) : TypedResults.NotFound();
    }

    [ResponseExample("""[ { "registrationId": 31, "memberId": "10482", "nickname": "Lily", "status": "registered", "position": 1, "ticketId": 40, "checkedInAt": "2026-12-12T05:58:10", "registeredAt": "2026-12-02T10:00:00" } ]""")]
    public static async Task<Results<Ok<IReadOnlyList<RegistrationView>>, NotFound>> RegistrationsAsync(ulong id, ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        if (await EventStore.GetAsync(c, id, ct) is not { } ev || !user.CanReadStore((long)ev.StoreId))
        {
            return TypedResults.NotFound();
        }

        const string sql = """
            SELECT r.id AS RegistrationId, r.member_id AS MemberId, m.nickname AS Nickname, r.status AS Status, r.position AS Position,
                   t.id AS TicketId, t.checked_in_at AS CheckedInAt, r.created_at AS RegisteredAt
            FROM event_registration r
            JOIN member m ON m.id = r.member_id
            LEFT JOIN event_ticket t ON t.registration_id = r.id AND t.revoked_at IS NULL
            WHERE r.event_id = @id AND r.status <> @cancelled
            ORDER BY r.status = @waitlisted, r.position
            """;
        var rows = await c.QueryAsync<RegistrationRow>(new CommandDefinition(sql, new { id, cancelled = RegistrationStatus.Cancelled, waitlisted = RegistrationStatus.Waitlisted }, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<RegistrationView>>([.. rows.Select(r => new RegistrationView(
            r.RegistrationId, MemberQueries.Id(r.MemberId), r.Nickname, r.Status, (long)r.Position, r.TicketId, r.CheckedInAt, r.RegisteredAt))]);
    }

    [RequestExample("""{ "code": "40.q2Xc9LrV0mT1bYp4sWnE3g.Hk2v8ZQm1N0xR5tJw7uLcA" }""")]
    [ResponseExample("""{ "ticketId": 40, "memberId": "10482", "nickname": "Lily", "awarded": 50, "checkedInAt": "2026-12-12T05:58:10" }""")]
    public static async Task<Results<Ok<CheckinResponse>, NotFound, ProblemHttpResult>> CheckInAsync(
        ulong id, CheckinRequest request, ClaimsPrincipal user, MySqlDataSource dataSource, EventTickets tickets, EventCheckins checkins, CancellationToken ct)
    {
        if (!tickets.Configured)
        {
            return TicketKeyMissing();
        }

        EventView? ev;
        await using (var c = await dataSource.OpenConnectionAsync(ct))
        {
            ev = await EventStore.GetAsync(c, id, ct);
        }

        if (ev is null)
        {
            return TypedResults.NotFound();
        }

        if (!user.CanWriteStore((long)ev.StoreId))
        {
            return NotYourStore();
        }

        var result = await checkins.CheckInAsync(ev, request.Code, user.Actor(), ct);
        return result.Outcome switch
        {
            CheckinOutcome.CheckedIn => TypedResults.Ok(new CheckinResponse(result.TicketId!.Value, MemberQueries.Id(result.MemberId!.Value),
                await NicknameAsync(dataSource, result.MemberId.Value, ct), result.Awarded, result.CheckedInAt!.Value)),
            CheckinOutcome.Forged => TypedResults.Problem("This is not a ticket of ours: the code is made up or altered.", title: "Invalid ticket", statusCode: StatusCodes.Status400BadRequest),
            CheckinOutcome.OtherEvent => TypedResults.Problem("This ticket is for another event.", title: "Ticket of another event", statusCode: StatusCodes.Status422UnprocessableEntity),
            CheckinOutcome.Revoked => TypedResults.Problem("This ticket's registration was cancelled.", title: "Ticket cancelled", statusCode: StatusCodes.Status409Conflict),
            _ => TypedResults.Problem($"This ticket was checked in at {result.CheckedInAt:yyyy-MM-dd HH:mm} UTC.", title: "Ticket already used", statusCode: StatusCodes.Status409Conflict),
        };
    }

    internal static ProblemHttpResult TicketKeyMissing() =>
        TypedResults.Problem("Tickets cannot be issued or checked: Events:TicketKey is not configured.", title: "Tickets not configured", statusCode: StatusCodes.Status503ServiceUnavailable);

    private static ProblemHttpResult NotYourStore() =>
        TypedResults.Problem("Only the event store's managers (and admins) may do this.", title: "Not your store", statusCode: StatusCodes.Status403Forbidden);

    private static async Task<string?> NicknameAsync(MySqlDataSource dataSource, ulong memberId, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT nickname FROM member WHERE id = @memberId", new { memberId }, cancellationToken: ct));
    }

    private sealed class RegistrationRow
    {
        public ulong RegistrationId { get; init; }
        public ulong MemberId { get; init; }
        public string? Nickname { get; init; }
        public string Status { get; init; } = "";
        public ulong Position { get; init; }
        public ulong? TicketId { get; init; }
        public DateTime? CheckedInAt { get; init; }
        public DateTime RegisteredAt { get; init; }
    }
}
