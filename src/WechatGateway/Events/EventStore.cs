using Dapper;
using MySqlConnector;

namespace WechatGateway.Events;

/// <summary><c>POST /api/admin/events</c>.</summary>
public sealed record EventInput(long? StoreId, string? Title, DateTime? StartsAt, DateTime? EndsAt, int? Capacity, int? Points, DateTime? RegistrationDeadline, long? SegmentId)
{
    public const int MaxCapacity = 100_000;

    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (StoreId is not > 0)
        {
            errors["storeId"] = ["required"];
        }

        if (string.IsNullOrWhiteSpace(Title) || Title.Length > 100)
        {
            errors["title"] = ["required, at most 100 characters"];
        }

        if (StartsAt is null || EndsAt is null || EndsAt <= StartsAt)
        {
            errors["endsAt"] = ["startsAt and endsAt are required, endsAt after startsAt"];
        }

        if (Capacity is not (>= 1 and <= MaxCapacity))
        {
            errors["capacity"] = [$"from 1 to {MaxCapacity}"];
        }

        if (Points is < 0 or > WechatGateway.Points.PointsRuleInput.MaxPoints)
        {
            errors["points"] = [$"from 0 to {WechatGateway.Points.PointsRuleInput.MaxPoints}"];
        }

        if (RegistrationDeadline is { } deadline && StartsAt is { } starts && deadline > starts)
        {
            errors["registrationDeadline"] = ["at or before startsAt"];
        }

        if (SegmentId is <= 0)
        {
            errors["segmentId"] = ["a segment's id, or absent for everyone"];
        }

        return errors;
    }
}

/// <summary>An event as ops and members see it; <see cref="SeatsLeft"/> counts free seats, not the waitlist.</summary>
public sealed record EventView(
    ulong Id, ulong StoreId, string? StoreName, string Title, DateTime StartsAt, DateTime EndsAt, int Capacity, int Points,
    DateTime? RegistrationDeadline, ulong? SegmentId, int Registered, int Waitlisted, int CheckedIn)
{
    public int SeatsLeft => Math.Max(0, Capacity - Registered);
}

/// <summary>Stores events and reads them with their counts.</summary>
public static class EventStore
{
    private const string Columns = """
        e.id AS Id, e.store_id AS StoreId, s.name AS StoreName, e.title AS Title, e.starts_at AS StartsAt, e.ends_at AS EndsAt, e.capacity AS Capacity,
        e.points AS Points, e.registration_deadline AS RegistrationDeadline, e.segment_id AS SegmentId, e.registered AS Registered,
        (SELECT COUNT(*) FROM event_registration r WHERE r.event_id = e.id AND r.status = @waitlisted) AS Waitlisted,
        (SELECT COUNT(*) FROM event_ticket t WHERE t.event_id = e.id AND t.checked_in_at IS NOT NULL) AS CheckedIn
        """;

    public static async Task<ulong> CreateAsync(MySqlConnection c, EventInput input, string actor, DateTime now, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO store_event (store_id, title, starts_at, ends_at, capacity, points, registration_deadline, segment_id, created_at, created_by)
            VALUES (@StoreId, @Title, @startsAt, @endsAt, @Capacity, @points, @deadline, @SegmentId, @now, @actor);
            SELECT LAST_INSERT_ID();
            """;
        return await c.ExecuteScalarAsync<ulong>(new CommandDefinition(sql, new
        {
            input.StoreId, Title = input.Title!.Trim(), startsAt = input.StartsAt!.Value.ToUniversalTime(), endsAt = input.EndsAt!.Value.ToUniversalTime(),
            input.Capacity, points = input.Points ?? 0, deadline = input.RegistrationDeadline?.ToUniversalTime(), input.SegmentId, now, actor,
        }, cancellationToken: ct));
    }

    public static async Task<EventView?> GetAsync(MySqlConnection c, ulong id, CancellationToken ct) =>
        await c.QuerySingleOrDefaultAsync<EventRow>(new CommandDefinition(
            $"SELECT {Columns} FROM store_event e LEFT JOIN store s ON s.id = e.store_id WHERE e.id = @id", new { id, waitlisted = RegistrationStatus.Waitlisted }, cancellationToken: ct)) is { } row
            ? row.View()
            : null;

    /// <summary>Events of the given stores (null: all) that end after <paramref name="endingAfter"/>, soonest first.</summary>
    public static async Task<IReadOnlyList<EventView>> ListAsync(MySqlConnection c, IReadOnlyList<long>? stores, long? storeId, DateTime? endingAfter, int limit, CancellationToken ct)
    {
        var sql = $"""
            SELECT {Columns} FROM store_event e LEFT JOIN store s ON s.id = e.store_id
            WHERE (@storeId IS NULL OR e.store_id = @storeId) AND (@endingAfter IS NULL OR e.ends_at > @endingAfter) {(stores is null ? "" : "AND e.store_id IN @stores")}
            ORDER BY e.starts_at, e.id LIMIT @limit
            """;
        var rows = await c.QueryAsync<EventRow>(new CommandDefinition(sql, new { storeId, endingAfter, stores, limit, waitlisted = RegistrationStatus.Waitlisted }, cancellationToken: ct));
        return [.. rows.Select(r => r.View())];
    }

    private sealed class EventRow
    {
        public ulong Id { get; init; }
        public ulong StoreId { get; init; }
        public string? StoreName { get; init; }
        public string Title { get; init; } = "";
        public DateTime StartsAt { get; init; }
        public DateTime EndsAt { get; init; }
        public int Capacity { get; init; }
        public int Points { get; init; }
        public DateTime? RegistrationDeadline { get; init; }
        public ulong? SegmentId { get; init; }
        public int Registered { get; init; }
        public long Waitlisted { get; init; }
        public long CheckedIn { get; init; }

        public EventView View() => new(Id, StoreId, StoreName, Title, StartsAt, EndsAt, Capacity, Points, RegistrationDeadline, SegmentId, Registered, (int)Waitlisted, (int)CheckedIn);
    }
}
