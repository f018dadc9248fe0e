using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using StackExchange.Redis;
using WechatGateway.Members;
using WechatGateway.Operations;
using WechatGateway.Storage;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Followers;

/// <summary>Wakes the follower sync worker of this process when a sync is started here.</summary>
public sealed class FollowerSyncSignal : WakeSignal;

/// <summary>
/// Worker job: runs follower syncs. It pages through <c>cgi-bin/user/get</c> (10,000 OpenIDs a page), asks
/// <c>user/info/batchget</c> about each 100, and imports each 100 in one transaction that also records the sync's
/// progress, so a worker that dies resumes at the first batch not done (after its lease, on any worker). Calls are paced
/// (<see cref="FollowerSyncOptions.CallsPerSecond"/>); a transient failure is tried again, a spent quota (45009, 45011)
/// pauses the sync. At the end, members whose OpenID the list no longer holds are marked as no longer following.
/// </summary>
public sealed class FollowerSyncJob(
    MySqlDataSource dataSource,
    WechatApiClient wechat,
    FollowerImporter importer,
    FollowerSyncStore syncs,
    WechatTags tags,
    MemberStore store,
    FollowerSyncMetrics metrics,
    FollowerSyncSignal signal,
    IOptions<FollowerSyncOptions> options,
    TimeProvider time,
    ILogger<FollowerSyncJob> logger) : WorkerJob
{
    private const int UnfollowChunk = 500;

    private readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private DateTimeOffset _nextCall = DateTimeOffset.MinValue;

    private TimeSpan Lease => TimeSpan.FromSeconds(options.Value.LeaseSeconds);

    public override Task<int> RunOnceAsync(CancellationToken ct) => RunOnceAsync(int.MaxValue, ct);

    /// <summary>Runs the next sync that is due, to its end or its pause; returns 1 when there was one.</summary>
    /// <param name="maxBatches">Stops after this many batches and keeps the sync as a worker that died would (tests of the resume).</param>
    public async Task<int> RunOnceAsync(int maxBatches, CancellationToken ct)
    {
        if (await syncs.ClaimAsync(_owner, Lease, ct) is not { } sync)
        {
            return 0;
        }

        try
        {
            if (await RunAsync(sync, maxBatches, ct))
            {
                var unfollowed = await MarkUnfollowedAsync(sync, ct);
                await syncs.FinishAsync(sync.Id, _owner, FollowerSyncState.Completed, null, ct);
                logger.LogInformation("Follower sync {SyncId} of {AppId} completed; {Unfollowed} members no longer follow", sync.Id, sync.AppId, unfollowed);
                metrics.Stopped(sync.AppId);
            }
        }
        catch (SyncPausedException e)
        {
            logger.LogWarning("Follower sync {SyncId} of {AppId} paused until {Until}: {Reason}", sync.Id, sync.AppId, e.Until, e.Message);
            await syncs.PauseAsync(sync.Id, _owner, e.Until.UtcDateTime, e.Message, ct);
        }
        catch (Exception e) when (e is WechatApiException { IsRetryable: true } or TimeoutException or HttpRequestException)
        {
            logger.LogWarning("Follower sync {SyncId} of {AppId} paused: WeChat did not answer ({Error})", sync.Id, sync.AppId, e.Message);
            await syncs.PauseAsync(sync.Id, _owner, time.GetUtcNow().AddMinutes(1).UtcDateTime, e.Message, ct);
        }
        catch (WechatApiException e)
        {
            // WeChat refuses for good (48001: no permission for user/get; 40013): running again will not help.
            logger.LogError("Follower sync {SyncId} of {AppId} failed: {Error}", sync.Id, sync.AppId, e.Message);
            await syncs.FinishAsync(sync.Id, _owner, FollowerSyncState.Failed, e.Message, ct);
            metrics.Stopped(sync.AppId);
        }
        catch (SyncLeaseLostException e)
        {
            logger.LogWarning("{Error} This worker stops it.", e.Message);
        }

        return 1;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await RunOnceAsync(stoppingToken) > 0)
                {
                }
            }
            catch (Exception e) when (e is MySqlException or RedisException or TimeoutException or HttpRequestException)
            {
                logger.LogWarning(e, "Follower sync round failed; the sync resumes from its last batch");
            }

            await signal.WaitAsync(TimeSpan.FromSeconds(options.Value.PollSeconds), stoppingToken);
        }
    }

    /// <summary>Imports every page from where the sync stands; false when stopped after <paramref name="maxBatches"/>.</summary>
    private async Task<bool> RunAsync(ClaimedSync sync, int maxBatches, CancellationToken ct)
    {
        var appId = sync.AppId;
        var accountTags = await CallAsync(() => tags.RefreshAsync(appId, ct), ct);
        var (cursor, done, batches) = (sync.PageCursor, sync.PageDone, 0);
        while (true)
        {
            var page = await CallAsync(() => wechat.GetFollowersAsync(appId, cursor, ct), ct);
            if (page.OpenIds.Count == 0)
            {
                return true;
            }

            await syncs.SetTotalAsync(sync.Id, _owner, page.Total, ct);
            for (var i = done; i < page.OpenIds.Count; i += WechatApiClient.BatchGetSize)
            {
                if (batches++ >= maxBatches)
                {
                    return false;
                }

                var openIds = page.OpenIds.Skip(i).Take(WechatApiClient.BatchGetSize).ToList();
                await ImportBatchAsync(sync, openIds, i + openIds.Count, accountTags, ct);
            }

            await syncs.NextPageAsync(sync.Id, _owner, page.NextOpenId, ct);
            (cursor, done) = (page.NextOpenId, 0);
            if (cursor is null)
            {
                return true;
            }
        }
    }

    private async Task ImportBatchAsync(ClaimedSync sync, List<string> openIds, int pageDone, AccountTags accountTags, CancellationToken ct)
    {
        IReadOnlyList<WechatUserInfo>? followers;
        try
        {
            followers = await CallAsync(() => wechat.BatchGetUserInfoAsync(sync.AppId, openIds, ct), ct);
        }
        catch (Exception e) when (e is WechatApiException { IsRetryable: true } or TimeoutException or HttpRequestException)
        {
            logger.LogWarning("Follower sync {SyncId}: {Count} followers failed after {Attempts} attempts ({Error})", sync.Id, openIds.Count, options.Value.Attempts, e.Message);
            followers = null;
        }

        var (imported, progress) = await DeadlockRetry.RunAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
            ImportedBatch? batch = null;
            SyncProgress progress;
            if (followers is null)
            {
                // They are in WeChat's list, so they still follow: the end of the sync must not mark them unfollowed.
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE member_follow SET last_sync_id = @id WHERE app_id = @appId AND open_id IN @openIds",
                    new { id = sync.Id, appId = sync.AppId, openIds }, transaction, cancellationToken: ct));
                progress = new SyncProgress(0, 0, 0, openIds.Count);
            }
            else
            {
                batch = await importer.ImportAsync(connection, transaction, sync.AppId, sync.Id, followers, accountTags.Names, accountTags.Mirrored, ct);
                progress = new SyncProgress(batch.Imported, batch.Updated, batch.Unchanged, 0);
            }

            await syncs.RecordBatchAsync(connection, transaction, sync.Id, _owner, pageDone, progress, Lease, ct);
            await transaction.CommitAsync(ct);
            return (batch, progress);
        }, error => logger.LogInformation("Follower sync {SyncId}: a batch raced ({Error}); running it again", sync.Id, error), ct, duplicateKeyIsARace: true);

        if (imported is not null)
        {
            await importer.CompleteAsync(sync.AppId, imported, ct);
        }

        metrics.Count(sync.AppId, progress);
    }

    /// <summary>Members this account's list no longer holds (and who did not follow after the sync began) no longer follow.</summary>
    private async Task<int> MarkUnfollowedAsync(ClaimedSync sync, CancellationToken ct)
    {
        const string gone = """
            SELECT open_id AS OpenId, member_id AS MemberId FROM member_follow
            WHERE app_id = @appId AND subscribed = 1 AND (last_sync_id IS NULL OR last_sync_id <> @id) AND (subscribed_at IS NULL OR subscribed_at < @startedAt)
            LIMIT @UnfollowChunk
            """;
        var total = 0;
        while (true)
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
            var rows = (await connection.QueryAsync<(string OpenId, ulong MemberId)>(new CommandDefinition(gone,
                new { appId = sync.AppId, id = sync.Id, startedAt = sync.CreatedAt, UnfollowChunk }, transaction, cancellationToken: ct))).AsList();
            if (rows.Count == 0)
            {
                return total;
            }

            var now = time.GetUtcNow().UtcDateTime;
            foreach (var (openId, memberId) in rows)
            {
                await store.UnfollowAsync(connection, transaction, memberId, sync.AppId, openId, now, ct);
                await store.RefreshStageAsync(connection, transaction, memberId, ct);
            }

            await store.AddTimelineManyAsync(connection, transaction, [.. rows.Select(r => new TimelineRow(
                r.MemberId, "unfollow", "no longer in the account's followers (follower import)", sync.AppId, $"sync:{sync.Id}:{sync.AppId}:{r.OpenId}"))], ct);
            await transaction.CommitAsync(ct);
            await syncs.AddUnfollowedAsync(sync.Id, _owner, rows.Count, ct);
            metrics.Unfollowed(sync.AppId, rows.Count);
            total += rows.Count;
        }
    }

    /// <summary>
    /// One WeChat call within the pace, tried again on a transient failure with a growing pause; a spent quota pauses
    /// the sync (<see cref="SyncPausedException"/>).
    /// </summary>
    private async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var now = time.GetUtcNow();
            if (_nextCall > now)
            {
                await Task.Delay(_nextCall - now, time, ct);
            }

            _nextCall = time.GetUtcNow() + TimeSpan.FromSeconds(1.0 / options.Value.CallsPerSecond);
            try
            {
                return await call();
            }
            catch (WechatApiException e) when (e.Code == WechatErrorCode.ApiDailyQuotaReached)
            {
                throw new SyncPausedException(time.GetUtcNow().AddMinutes(options.Value.QuotaPauseMinutes), e.Message);
            }
            catch (WechatApiException e) when (e.Code == WechatErrorCode.ApiMinuteQuotaReached)
            {
                throw new SyncPausedException(time.GetUtcNow().AddMinutes(1), e.Message);
            }
            catch (Exception e) when (attempt < options.Value.Attempts && e is WechatApiException { IsRetryable: true } or TimeoutException or HttpRequestException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 50 * (1 << Math.Min(attempt, 10)))), time, ct);
            }
        }
    }
}

/// <summary>WeChat's quota is spent: the sync waits until <see cref="Until"/> and then goes on from where it stands.</summary>
public sealed class SyncPausedException(DateTimeOffset until, string reason) : Exception(reason)
{
    public DateTimeOffset Until { get; } = until;
}
