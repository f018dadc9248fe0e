using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using MySqlConnector;
using StackExchange.Redis;
using WechatGateway.Admin;
using WechatGateway.Operations;

namespace WechatGateway.Push;

/// <summary>
/// <c>/api/admin/queue</c>: the send queue's depth and states, its dead letters, and the replay that gives a dead send
/// its attempts back. Reads need any admin key; replay is Admin only.
/// </summary>
public static class QueueAdminEndpoints
{
    public static RouteGroupBuilder MapAdminQueue(this RouteGroupBuilder admin)
    {
        var queue = admin.MapGroup("/queue");
        queue.MapGet("", GetAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Stream depth, entries in flight, sends per status and the oldest pending send's age (stream figures are null while Redis is down).");
        queue.MapGet("/dead", ListDeadAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Sends out of attempts, newest first, with their last errcode and error. OpenIDs are masked for viewers; a store manager sees the sends to its stores' members.");
        queue.MapPost("/dead/{id}/replay", ReplayAsync)
            .WithSummary("Gives a dead send its attempts back and queues it again.")
            .RequireAuthorization(AdminPolicies.AdminOnly);
        return admin;
    }

    /// <param name="StreamLength">Entries on the Redis stream not yet done (queued and in flight).</param>
    /// <param name="InFlight">Entries a dispatcher has read and not yet acknowledged.</param>
    /// <param name="Statuses">Sends per status in MySQL: pending, queued, sent, failed, dead.</param>
    public sealed record QueueState(
        long? StreamLength, long? InFlight, int? Consumers, long? DeadLetterStreamLength, bool RedisAvailable,
        IReadOnlyDictionary<string, long> Statuses, double? OldestPendingSeconds);

    public sealed record SendSummary(
        ulong Id, string AppId, string ToUser, ulong? MemberId, string Kind, string SourceKey, string Status, int Attempts,
        int? LastErrcode, string? LastError, bool FellBack, DateTime CreatedAt, DateTime? QueuedAt, DateTime? SentAt, DateTime? NextAttemptAt);

    public sealed record SendPage(IReadOnlyList<SendSummary> Items, ulong? Next);

    private const string Columns = """
        id AS Id, app_id AS AppId, to_user AS ToUser, member_id AS MemberId, kind AS Kind, source_key AS SourceKey,
        status AS Status, attempts AS Attempts, last_errcode AS LastErrcode, last_error AS LastError, fell_back AS FellBack,
        created_at AS CreatedAt, queued_at AS QueuedAt, sent_at AS SentAt, next_attempt_at AS NextAttemptAt
        """;

    [ResponseExample("""{ "streamLength": 42, "inFlight": 8, "consumers": 2, "deadLetterStreamLength": 3, "redisAvailable": true, "statuses": { "pending": 5, "queued": 42, "sent": 15230, "failed": 353, "dead": 3 }, "oldestPendingSeconds": 1.7 }""")]
    public static async Task<Ok<QueueState>> GetAsync([FromServices] MySqlDataSource dataSource, [FromServices] SendStream stream, [FromServices] TimeProvider time, CancellationToken ct)
    {
        const string sql = """
            SELECT status AS Status, COUNT(*) AS Count FROM outbound_send GROUP BY status;
            SELECT MIN(created_at) FROM outbound_send WHERE status = @pending;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, new { pending = SendStatus.Pending }, cancellationToken: ct));
        var counts = SendStatus.All.ToDictionary(s => s, _ => 0L);
        foreach (var (status, count) in await results.ReadAsync<(string Status, long Count)>())
        {
            counts[status] = count;
        }

        var oldest = await results.ReadSingleAsync<DateTime?>();
        StreamDepth? depth = null;
        try
        {
            depth = await stream.DepthAsync();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The MySQL half still answers: what waits, and since when.
        }

        return TypedResults.Ok(new QueueState(
            depth?.Length, depth?.InFlight, depth?.Consumers, depth?.DeadLetters, depth is not null, counts,
            oldest is { } at ? Math.Max(0, (time.GetUtcNow().UtcDateTime - at).TotalSeconds) : null));
    }

    [ResponseExample("""{ "items": [ { "id": 77310, "appId": "wx5f3c2a1b9d8e7f60", "toUser": "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "memberId": 10482, "kind": "Custom", "sourceKey": "push:88104:reply", "status": "dead", "attempts": 8, "lastErrcode": 45047, "lastError": "out of response count limit", "fellBack": false, "createdAt": "2026-12-01T01:10:00", "queuedAt": "2026-12-01T01:10:00", "sentAt": null, "nextAttemptAt": null } ], "next": null }""")]
    public static async Task<Results<Ok<SendPage>, ProblemHttpResult>> ListDeadAsync(int? limit, ulong? cursor, ClaimsPrincipal user, [FromServices] MySqlDataSource dataSource, CancellationToken ct)
    {
        if (limit is < 1 or > 200)
        {
            return TypedResults.Problem("limit must be between 1 and 200.", statusCode: StatusCodes.Status400BadRequest);
        }

        var stores = user.StoresOf();
        var sql = $"""
            SELECT {Columns} FROM outbound_send
            WHERE status = @dead AND (@cursor IS NULL OR id < @cursor)
              {(stores is null ? "" : "AND member_id IN (SELECT id FROM member WHERE home_store_id IN @stores)")}
            ORDER BY id DESC LIMIT @take
            """;
        var take = limit ?? 50;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<SendSummary>(new CommandDefinition(sql, new { dead = SendStatus.Dead, cursor, take = take + 1, stores }, cancellationToken: ct))).AsList();
        var next = rows.Count > take ? rows[take - 1].Id : (ulong?)null;
        return TypedResults.Ok(new SendPage(rows.Take(take).Select(s => s with { ToUser = user.Identifier(s.ToUser)! }).ToList(), next));
    }

    /// <summary>Only a dead send is replayed: it is pending again with no attempts used, and its dead letter is removed.</summary>
    [ResponseExample("""{ "id": 77310, "appId": "wx5f3c2a1b9d8e7f60", "toUser": "oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA", "memberId": 10482, "kind": "Custom", "sourceKey": "push:88104:reply", "status": "pending", "attempts": 0, "lastErrcode": 45047, "lastError": "out of response count limit", "fellBack": false, "createdAt": "2026-12-01T01:10:00", "queuedAt": "2026-12-01T01:10:00", "sentAt": null, "nextAttemptAt": null }""")]
    public static async Task<Results<Ok<SendSummary>, NotFound, ProblemHttpResult>> ReplayAsync(
        ulong id, [FromServices] MySqlDataSource dataSource, [FromServices] SendStream stream, [FromServices] RelaySignal signal, [FromServices] ILoggerFactory loggers, CancellationToken ct)
    {
        const string sql = $"""
            UPDATE outbound_send SET status = @pending, attempts = 0, next_attempt_at = NULL, lease_until = NULL, claim_token = NULL
            WHERE id = @id AND status = @dead;
            SELECT ROW_COUNT();
            SELECT {Columns} FROM outbound_send WHERE id = @id;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, new { id, pending = SendStatus.Pending, dead = SendStatus.Dead }, cancellationToken: ct));
        var replayed = await results.ReadSingleAsync<long>() > 0;
        var send = await results.ReadSingleOrDefaultAsync<SendSummary>();
        if (send is null)
        {
            return TypedResults.NotFound();
        }

        if (!replayed)
        {
            return TypedResults.Problem($"Only dead sends are replayed; this one is {send.Status}.", statusCode: StatusCodes.Status409Conflict);
        }

        try
        {
            await stream.RemoveDeadLetterAsync(id);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The row is the record; a dead letter left behind only lists a send that is on its way again.
            loggers.CreateLogger(typeof(QueueAdminEndpoints)).LogWarning(e, "Replayed send {SendId} but could not remove its dead letter", id);
        }

        signal.Notify();
        return TypedResults.Ok(send);
    }
}
