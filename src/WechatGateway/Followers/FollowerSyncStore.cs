using Dapper;
using MySqlConnector;
using WechatGateway.Storage;

namespace WechatGateway.Followers;

/// <summary>The states of a follower sync, as stored in <c>follower_sync.state</c>.</summary>
public static class FollowerSyncState
{
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>A follower sync as the admin API shows it.</summary>
public sealed record FollowerSyncView(
    ulong Id, string AppId, string State, int Total, int Imported, int Updated, int Unchanged, int Unfollowed, int Failed,
    int Pages, DateTime? ResumeAt, string? Error, string? RequestedBy, DateTime CreatedAt, DateTime UpdatedAt, DateTime? FinishedAt);

/// <summary>A running sync a worker holds: where to go on from.</summary>
public sealed record ClaimedSync(ulong Id, string AppId, string? PageCursor, int PageDone, int Pages, DateTime CreatedAt);

/// <summary>The counts one batch adds to its sync.</summary>
public sealed record SyncProgress(int Imported, int Updated, int Unchanged, int Failed);

/// <summary><c>follower_sync</c>: one row per sync; one running sync per account (<c>running_app_id</c>'s unique key).</summary>
public sealed class FollowerSyncStore(MySqlDataSource dataSource, TimeProvider time)
{
    private const string Columns = """
        id AS Id, app_id AS AppId, state AS State, total AS Total, imported AS Imported, updated AS Updated, unchanged AS Unchanged,
        unfollowed AS Unfollowed, failed AS Failed, pages AS Pages, resume_at AS ResumeAt, error AS Error, requested_by AS RequestedBy,
        created_at AS CreatedAt, updated_at AS UpdatedAt, finished_at AS FinishedAt
        """;

    /// <summary>Starts a sync of <paramref name="appId"/>; when one runs already, returns its id with <c>Started</c> false.</summary>
    public async Task<(ulong Id, bool Started)> StartAsync(string appId, string? requestedBy, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        const string insert = """
            INSERT IGNORE INTO follower_sync (app_id, state, running_app_id, requested_by, created_at, updated_at)
            VALUES (@appId, @running, @appId, @requestedBy, @now, @now);
            SELECT ROW_COUNT() AS Inserted, LAST_INSERT_ID() AS Id;
            """;
        var (inserted, id) = await connection.QuerySingleAsync<(long Inserted, ulong Id)>(new CommandDefinition(insert,
            new { appId, running = FollowerSyncState.Running, requestedBy, now = time.GetUtcNow().UtcDateTime }, cancellationToken: ct));
        if (inserted == 1)
        {
            return (id, true);
        }

        const string running = "SELECT id FROM follower_sync WHERE running_app_id = @appId";
        return (await connection.QuerySingleOrDefaultAsync<ulong?>(new CommandDefinition(running, new { appId }, cancellationToken: ct)) ?? 0, false);
    }

    public async Task<FollowerSyncView?> GetAsync(string appId, ulong id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<FollowerSyncView>(new CommandDefinition(
            $"SELECT {Columns} FROM follower_sync WHERE id = @id AND app_id = @appId", new { id, appId }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<FollowerSyncView>> ListAsync(string? appId, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<FollowerSyncView>(new CommandDefinition(
            $"SELECT {Columns} FROM follower_sync WHERE @appId IS NULL OR app_id = @appId ORDER BY id DESC LIMIT @limit", new { appId, limit }, cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// Takes the oldest running sync that no live worker holds and is not paused, for <paramref name="lease"/>; a sync
    /// whose worker died is taken again once its lease runs out, and goes on from its last batch.
    /// </summary>
    public async Task<ClaimedSync?> ClaimAsync(string owner, TimeSpan lease, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        const string candidate = """
            SELECT id FROM follower_sync
            WHERE state = @running AND (resume_at IS NULL OR resume_at <= @now) AND (lease_until IS NULL OR lease_until < @now OR lease_owner = @owner)
            ORDER BY id LIMIT 1
            """;
        if (await connection.QuerySingleOrDefaultAsync<ulong?>(new CommandDefinition(candidate, new { running = FollowerSyncState.Running, now, owner }, cancellationToken: ct)) is not { } id)
        {
            return null;
        }

        // The same conditions again, in the UPDATE: of two workers that saw the same candidate, one takes it.
        const string take = """
            UPDATE follower_sync SET lease_owner = @owner, lease_until = @until, resume_at = NULL
            WHERE id = @id AND state = @running AND (resume_at IS NULL OR resume_at <= @now) AND (lease_until IS NULL OR lease_until < @now OR lease_owner = @owner);
            SELECT ROW_COUNT();
            """;
        if (await connection.QuerySingleAsync<long>(new CommandDefinition(take, new { owner, until = now + lease, id, running = FollowerSyncState.Running, now }, cancellationToken: ct)) != 1)
        {
            return null;
        }

        return await connection.QuerySingleAsync<ClaimedSync>(new CommandDefinition(
            "SELECT id AS Id, app_id AS AppId, page_cursor AS PageCursor, page_done AS PageDone, pages AS Pages, created_at AS CreatedAt FROM follower_sync WHERE id = @id",
            new { id }, cancellationToken: ct));
    }

    /// <summary>Records a batch in the transaction that imported it (so a restart neither repeats nor skips it), and renews the lease.</summary>
    public async Task RecordBatchAsync(MySqlConnection connection, MySqlTransaction transaction, ulong id, string owner, int pageDone, SyncProgress progress, TimeSpan lease, CancellationToken ct)
    {
        const string sql = """
            UPDATE follower_sync
            SET page_done = @pageDone, imported = imported + @Imported, updated = updated + @Updated, unchanged = unchanged + @Unchanged,
                failed = failed + @Failed, lease_until = @until, updated_at = @now
            WHERE id = @id AND lease_owner = @owner
            """;
        var now = time.GetUtcNow().UtcDateTime;
        var rows = await connection.ExecuteAsync(new CommandDefinition(sql,
            new { id, owner, pageDone, progress.Imported, progress.Updated, progress.Unchanged, progress.Failed, until = now + lease, now }, transaction, cancellationToken: ct));
        if (rows != 1)
        {
            // Another worker took the sync (this one stalled past its lease): its batch must not count twice.
            throw new SyncLeaseLostException(id);
        }
    }

    /// <summary>A page is done: the next one is fetched with <paramref name="nextCursor"/>.</summary>
    public Task NextPageAsync(ulong id, string owner, string? nextCursor, CancellationToken ct) =>
        UpdateAsync("pages = pages + 1, page_cursor = @nextCursor, page_done = 0", id, owner, new { nextCursor }, ct);

    public Task SetTotalAsync(ulong id, string owner, int total, CancellationToken ct) =>
        UpdateAsync("total = @total", id, owner, new { total }, ct);

    public Task AddUnfollowedAsync(ulong id, string owner, int count, CancellationToken ct) =>
        UpdateAsync("unfollowed = unfollowed + @count", id, owner, new { count }, ct);

    /// <summary>WeChat's quota is spent (45009) or WeChat is down: the sync waits until <paramref name="until"/>, then goes on.</summary>
    public Task PauseAsync(ulong id, string owner, DateTime until, string reason, CancellationToken ct) =>
        UpdateAsync("resume_at = @until, lease_owner = NULL, lease_until = NULL, error = @reason", id, owner, new { until, reason = Storage.Columns.Fit(reason, 500) }, ct);

    public Task FinishAsync(ulong id, string owner, string state, string? error, CancellationToken ct) =>
        UpdateAsync("state = @state, running_app_id = NULL, finished_at = @now, lease_owner = NULL, lease_until = NULL, error = @error",
            id, owner, new { state, error = error is null ? null : Storage.Columns.Fit(error, 500) }, ct);

    private async Task UpdateAsync(string set, ulong id, string owner, object values, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var parameters = new DynamicParameters(values);
        parameters.AddDynamicParams(new { id, owner, now = time.GetUtcNow().UtcDateTime });
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE follower_sync SET {set}, updated_at = @now WHERE id = @id AND lease_owner = @owner", parameters, cancellationToken: ct));
        if (rows != 1)
        {
            throw new SyncLeaseLostException(id);
        }
    }
}

/// <summary>The worker no longer holds the sync: another took it after this one's lease ran out.</summary>
public sealed class SyncLeaseLostException(ulong id) : Exception($"Follower sync {id} was taken by another worker.");
