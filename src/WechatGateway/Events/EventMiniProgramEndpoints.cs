using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Members;
using WechatGateway.MiniProgram;
using WechatGateway.Operations;

namespace WechatGateway.Events;

/// <summary>Events in the mini-program: the list, registering and cancelling, and the ticket's QR code.</summary>
public static class EventMiniProgramEndpoints
{
    public sealed record MyRegistration(ulong RegistrationId, string Status, Ticket? Ticket);

    public sealed record MemberEvent(ulong Id, ulong StoreId, string? StoreName, string Title, DateTime StartsAt, DateTime EndsAt, int Capacity, int SeatsLeft, int Points, DateTime? RegistrationDeadline, MyRegistration? Registration);

    public sealed record RegistrationResponse(ulong RegistrationId, string Status, Ticket? Ticket);

    public static IEndpointRouteBuilder MapEventsMiniProgram(this IEndpointRouteBuilder app)
    {
        var mp = app.MapGroup("/api/mp").WithTags("Mini-program").RequireAuthorization(MiniProgramEndpoints.Policy);
        mp.MapGet("/events", ListAsync).WithSummary("Events not yet ended, soonest first, with seats left and the member's own registration and ticket.");
        mp.MapPost("/events/{id}/registrations", RegisterAsync)
            .WithSummary("Registers the member: 201 registered with a ticket, or waitlisted when full. 409 when registered already, past the deadline or outside the event's segment.");
        mp.MapDelete("/events/{id}/registrations", CancelAsync).WithSummary("Cancels the member's registration; the first of the waitlist gets the seat.");
        mp.MapGet("/me/tickets/{id}/qr.png", QrAsync).WithSummary("The member's ticket as a QR code (PNG) to show at the door.");
        return app;
    }

    [ResponseExample("""[ { "id": 7, "storeId": 3, "storeName": "Jing'an", "title": "Pour-over tasting", "startsAt": "2026-12-12T06:00:00", "endsAt": "2026-12-12T08:00:00", "capacity": 20, "seatsLeft": 3, "points": 50, "registrationDeadline": "2026-12-11T12:00:00", "registration": { "registrationId": 31, "status": "registered", "ticket": { "id": 40, "code": "40.q2Xc9LrV0mT1bYp4sWnE3g.Hk2v8ZQm1N0xR5tJw7uLcA" } } } ]""")]
    public static async Task<Ok<IReadOnlyList<MemberEvent>>> ListAsync(ClaimsPrincipal user, MemberResolver resolver, MySqlDataSource dataSource, EventTickets tickets, TimeProvider time, CancellationToken ct)
    {
        var memberId = (await resolver.CurrentMemberAsync(user, ct)).MemberId;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var events = await EventStore.ListAsync(c, null, null, time.GetUtcNow().UtcDateTime, 200, ct);
        const string mineSql = """
            SELECT r.event_id AS EventId, r.id AS RegistrationId, r.status AS Status, t.id AS TicketId, t.nonce AS Nonce
            FROM event_registration r LEFT JOIN event_ticket t ON t.registration_id = r.id AND t.revoked_at IS NULL
            WHERE r.member_id = @memberId AND r.status <> @cancelled
            """;
        var mine = (await c.QueryAsync<(ulong EventId, ulong RegistrationId, string Status, ulong? TicketId, string? Nonce)>(
            new CommandDefinition(mineSql, new { memberId, cancelled = RegistrationStatus.Cancelled }, cancellationToken: ct))).ToDictionary(r => r.EventId);
        return TypedResults.Ok<IReadOnlyList<MemberEvent>>([.. events.Select(e => new MemberEvent(
            e.Id, e.StoreId, e.StoreName, e.Title, e.StartsAt, e.EndsAt, e.Capacity, e.SeatsLeft, e.Points, e.RegistrationDeadline,
            mine.TryGetValue(e.Id, out var r)
                ? new MyRegistration(r.RegistrationId, r.Status, r.TicketId is { } ticketId && tickets.Configured ? new Ticket(ticketId, tickets.Code(ticketId, r.Nonce!)) : null)
                : null))]);
    }

    [ResponseExample("""{ "registrationId": 31, "status": "registered", "ticket": { "id": 40, "code": "40.q2Xc9LrV0mT1bYp4sWnE3g.Hk2v8ZQm1N0xR5tJw7uLcA" } }""", StatusCode = 201)]
    public static async Task<Results<Created<RegistrationResponse>, NotFound, ProblemHttpResult>> RegisterAsync(
        ulong id, ClaimsPrincipal user, MemberResolver resolver, EventRegistrations registrations, EventTickets tickets, CancellationToken ct)
    {
        if (!tickets.Configured)
        {
            return EventEndpoints.TicketKeyMissing();
        }

        var memberId = (await resolver.CurrentMemberAsync(user, ct)).MemberId;
        var result = await registrations.RegisterAsync(id, memberId, ct);
        return result.Outcome switch
        {
            RegistrationOutcome.Registered => TypedResults.Created($"/api/mp/events/{id}/registrations", new RegistrationResponse(result.RegistrationId!.Value, RegistrationStatus.Registered, result.Ticket)),
            RegistrationOutcome.Waitlisted => TypedResults.Created($"/api/mp/events/{id}/registrations", new RegistrationResponse(result.RegistrationId!.Value, RegistrationStatus.Waitlisted, null)),
            RegistrationOutcome.NoSuchEvent => TypedResults.NotFound(),
            RegistrationOutcome.AlreadyRegistered => Conflict("Already registered", "The member is registered or waitlisted for this event already."),
            RegistrationOutcome.DeadlinePassed => Conflict("Registration closed", "The registration deadline of this event has passed."),
            RegistrationOutcome.NotInSegment => Conflict("Not open to this member", "This event is open to one segment of members only, and the member is not in it."),
            _ => throw new InvalidOperationException($"Unhandled registration outcome {result.Outcome}"),
        };
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> CancelAsync(ulong id, ClaimsPrincipal user, MemberResolver resolver, EventRegistrations registrations, CancellationToken ct)
    {
        var memberId = (await resolver.CurrentMemberAsync(user, ct)).MemberId;
        return await registrations.CancelAsync(id, memberId, ct) switch
        {
            CancelOutcome.Cancelled => TypedResults.NoContent(),
            CancelOutcome.NotRegistered => TypedResults.NotFound(),
            CancelOutcome.Attended => Conflict("Attended", "The ticket was checked in: attendance cannot be cancelled."),
            _ => Conflict("Event started", "The event has started; registrations can no longer be cancelled."),
        };
    }

    public static async Task<Results<FileContentHttpResult, NotFound, ProblemHttpResult>> QrAsync(
        ulong id, ClaimsPrincipal user, MemberResolver resolver, MySqlDataSource dataSource, EventTickets tickets, CancellationToken ct)
    {
        if (!tickets.Configured)
        {
            return EventEndpoints.TicketKeyMissing();
        }

        var memberId = (await resolver.CurrentMemberAsync(user, ct)).MemberId;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        const string sql = "SELECT nonce FROM event_ticket WHERE id = @id AND member_id = @memberId AND revoked_at IS NULL";
        var nonce = await c.ExecuteScalarAsync<string?>(new CommandDefinition(sql, new { id, memberId }, cancellationToken: ct));
        return nonce is null
            ? TypedResults.NotFound()
            : TypedResults.File(Groups.LiveCodes.QrPng(tickets.Code(id, nonce)), "image/png");
    }

    private static ProblemHttpResult Conflict(string title, string detail) => TypedResults.Problem(detail, title: title, statusCode: StatusCodes.Status409Conflict);

}
