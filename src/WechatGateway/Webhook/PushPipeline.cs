using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Webhook;

public sealed record PushOutcome(PushState State, string? ReplyXml, bool Deferred);

/// <summary>
/// Records and processes a push in one MySQL transaction, so a push costs one commit:
/// record it, set a savepoint, process it, mark it answered, commit. If processing fails, the transaction rolls back
/// to the savepoint and commits the bare record (status <c>processing</c>) for the recovery job; if the record
/// itself cannot be committed, nothing is kept and the webhook answers 503.
/// </summary>
public sealed class PushPipeline(MySqlDataSource dataSource, PushStore store, PushProcessor processor, ILogger<PushPipeline> logger)
{
    private const string Recorded = "recorded";

    /// <summary>WeChat gives up on a delivery after 5 s; a retry waits a little less for the recovery job's answer.</summary>
    private static readonly TimeSpan RetryWait = TimeSpan.FromSeconds(4);

    public async Task<PushOutcome> AcceptAsync(WechatAccount account, WechatPush push, string securityMode, string rawXml, CancellationToken ct)
    {
        // InnoDB may pick a transaction as a deadlock victim (rolled back whole): it simply runs again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await TryAcceptAsync(account, push, securityMode, rawXml, ct);
            }
            catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.LockDeadlock && attempt < 3)
            {
                logger.LogInformation("Push for {AppId} was a deadlock victim; running it again", account.AppId);
            }
        }
    }

    /// <summary>Processes a push the recovery job claimed; too late for a passive reply.</summary>
    public async Task RecoverAsync(WechatAccount account, ulong pushId, WechatPush push, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await processor.ProcessAsync(connection, transaction, account, pushId, push, ct);
        await store.CompleteAsync(connection, transaction, pushId, null, ct);
        await transaction.CommitAsync(ct);
    }

    private async Task<PushOutcome> TryAcceptAsync(WechatAccount account, WechatPush push, string securityMode, string rawXml, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var recorded = await store.RecordAsync(connection, transaction, account.AppId, push, securityMode, rawXml, ct);
        switch (recorded.State)
        {
            case PushState.Answered:
                await transaction.CommitAsync(ct);
                return new PushOutcome(recorded.State, recorded.ReplyXml, false);
            case PushState.InFlight:
                await transaction.CommitAsync(ct);
                return new PushOutcome(recorded.State, await store.WaitForReplyAsync(recorded.Id, RetryWait, ct), false);
        }

        await transaction.SaveAsync(Recorded, ct);
        string? reply;
        var deferred = false;
        try
        {
            reply = await processor.ProcessAsync(connection, transaction, account, recorded.Id, push, ct);
            if (account.Options.ReplyMode == ReplyMode.Queue)
            {
                reply = null; // queue mode answers through the customer-service API, never in the response
            }

            await store.CompleteAsync(connection, transaction, recorded.Id, reply, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException && e is not MySqlException { ErrorCode: MySqlErrorCode.LockDeadlock })
        {
            // The push stays recorded, so it is not lost: the recovery job processes it. WeChat gets its
            // acknowledgement now instead of retrying into the same failure.
            logger.LogError(e, "Processing push {PushId} for {AppId} failed; left to the recovery job", recorded.Id, account.AppId);
            await transaction.RollbackAsync(Recorded, ct);
            reply = null;
            deferred = true;
        }

        await transaction.CommitAsync(ct);
        return new PushOutcome(recorded.State, reply, deferred);
    }
}
