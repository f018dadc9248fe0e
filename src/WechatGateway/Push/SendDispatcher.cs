using WechatGateway.Operations;
using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Storage;
using WechatGateway.Privacy;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Push;

/// <summary>
/// The worker that sends: reads the stream as one consumer of the group (XREADGROUP), claims entries a dead consumer
/// left (XAUTOCLAIM after <see cref="SendQueueOptions.ClaimIdleMilliseconds"/>), leases each send in MySQL, sends it
/// through <see cref="WechatApiClient"/>, records the outcome and only then acknowledges the entry (at least once).
/// </summary>
/// <remarks>
/// The lease is what makes a redelivered entry harmless: only a <c>queued</c> row without a live lease is sent, so an
/// entry of a send already <c>sent</c> (or failed, or dead) is acknowledged without a call. An entry of a send still
/// <c>pending</c> (the relay adds entries before its commit; or a retry's earlier entry) is left unacknowledged and
/// claimed again after <see cref="SendQueueOptions.ClaimIdleMilliseconds"/>, when its row has moved on.
/// What remains is the case no queue can close: a dispatcher that dies after WeChat accepted a send but before the
/// row says so leaves the send to be sent again by the next consumer.
/// </remarks>
public sealed class SendDispatcher(
    MySqlDataSource dataSource,
    SendStream stream,
    WechatApiClient wechat,
    CustomerServiceWindow window,
    AccountRateLimiter limiter,
    SendMetrics metrics,
    RelaySignal relay,
    DispatchSignal signal,
    IOptions<SendQueueOptions> options,
    TimeProvider time,
    ILogger<SendDispatcher> logger) : WorkerJob
{
    private static readonly TimeSpan DepthInterval = TimeSpan.FromSeconds(1);

    private readonly SendQueueOptions _options = options.Value;
    private DateTimeOffset _claimedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _depthAt = DateTimeOffset.MinValue;

    /// <summary>This process's consumer name in the group.</summary>
    public string Consumer { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Reads, sends and acknowledges one batch; returns how many entries it handled. Tests call it directly.</summary>
    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await ReportDepthAsync(ct);
        var entries = new List<SendEntry>();
        var now = time.GetUtcNow();
        if (now - _claimedAt >= TimeSpan.FromMilliseconds(Math.Min(1000, _options.ClaimIdleMilliseconds / 2)))
        {
            _claimedAt = now;
            entries.AddRange(await stream.ClaimAbandonedAsync(Consumer, _options.BatchSize));
        }

        if (entries.Count < _options.BatchSize)
        {
            entries.AddRange(await stream.ReadAsync(Consumer, _options.BatchSize - entries.Count));
        }

        if (entries.Count == 0)
        {
            return 0;
        }

        var token = Guid.NewGuid().ToString("N");
        var ids = entries.Select(e => e.SendId).Where(id => id != 0).Distinct().Order().ToArray();
        var (sends, uncommitted) = await DeadlockRetry.RunAsync(() => LeaseAsync(ids, token, ct), _ => { });
        // A leased batch is finished even when the worker is stopping (a deploy, a restart): a call cancelled halfway
        // may have reached WeChat, and an outcome not recorded sends it again once the lease runs out. Its calls are
        // bounded by the client's timeout; the host waits for them (HostOptions.ShutdownTimeout).
        var finish = CancellationToken.None;
        var lease = new BatchLease(time.GetUtcNow().UtcDateTime.AddSeconds(_options.LeaseSeconds));
        List<Outcome> outcomes;
        using (var renewing = new CancellationTokenSource())
        {
            // A batch's calls can outlast one lease (waves of MaxConcurrency calls, each up to a token wait, the send
            // and a refreshed retry): the lease is renewed until the outcomes are recorded, so no other dispatcher
            // takes a send this one is still sending.
            var renewal = RenewAsync(sends, token, lease, renewing.Token);
            try
            {
                outcomes = await SendAllAsync(sends, lease, finish);
            }
            finally
            {
                await renewing.CancelAsync();
                await renewal;
            }
        }

        // A failure to record leaves the entries unacknowledged: they are claimed again once the lease has run out and
        // sent again, so recording is retried rather than given up at the first deadlock.
        await DeadlockRetry.RunAsync(() => RecordAsync(outcomes, token, finish), _ => { });
        // An entry whose row is still pending is the relay's, read before its commit (it adds the entries before it commits,
        // so that a relay that dies between the two leaves pending rows, queued again, rather than queued rows without
        // an entry): it stays unacknowledged and is claimed again after ClaimIdleMilliseconds, when the row says queued.
        await stream.CompleteAsync(uncommitted.Count == 0 ? entries : entries.Where(e => !uncommitted.Contains(e.SendId)).ToList());
        if (outcomes.Any(o => o.Kind is OutcomeKind.FallBack))
        {
            relay.Notify();
        }

        return entries.Count;
    }


    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromMilliseconds(_options.DispatchPollMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            var handled = 0;
            try
            {
                handled = await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Entries not acknowledged stay in this consumer's pending list and are claimed again after the idle time;
                // no failure of one round may stop the dispatcher (a BackgroundService that throws stops the host).
                logger.LogWarning(e, "Send dispatch round failed; unacknowledged entries are claimed again");
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }

            if (handled < _options.BatchSize)
            {
                await signal.WaitAsync(poll, stoppingToken);
            }
        }
    }

    /// <summary>Leases the sends of <paramref name="ids"/> that are queued and free; also returns those still pending.</summary>
    private async Task<(IReadOnlyList<LeasedSend> Leased, IReadOnlySet<ulong> Pending)> LeaseAsync(ulong[] ids, string token, CancellationToken ct)
    {
        if (ids.Length == 0)
        {
            return ([], new HashSet<ulong>());
        }

        // The attempt is counted at the lease, so a send that kills its dispatcher still runs out of attempts.
        const string sql = """
            UPDATE outbound_send SET lease_until = @until, claim_token = @token, attempts = attempts + 1
            WHERE id IN @ids AND status = @queued AND (lease_until IS NULL OR lease_until < @now);
            SELECT id AS Id, app_id AS AppId, to_user AS ToUser, kind AS Kind, body AS Body, fallback_body AS FallbackBody,
                   fell_back AS FellBack, attempts AS Attempts, created_at AS CreatedAt
            FROM outbound_send WHERE id IN @ids AND claim_token = @token;
            SELECT id FROM outbound_send WHERE id IN @ids AND status = @pending;
            """;
        var now = time.GetUtcNow().UtcDateTime;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, new
        {
            ids,
            token,
            now,
            until = now.AddSeconds(_options.LeaseSeconds),
            queued = SendStatus.Queued,
            pending = SendStatus.Pending,
        }, cancellationToken: ct));
        var leased = (await results.ReadAsync<LeasedSend>()).AsList();
        var pending = (await results.ReadAsync<ulong>()).ToHashSet();
        return (leased, pending);
    }

    /// <summary>Every third of <see cref="SendQueueOptions.LeaseSeconds"/>, extends the batch's leases this dispatcher still holds.</summary>
    private async Task RenewAsync(IReadOnlyList<LeasedSend> sends, string token, BatchLease lease, CancellationToken stop)
    {
        if (sends.Count == 0)
        {
            return;
        }

        const string sql = "UPDATE outbound_send SET lease_until = @until WHERE id IN @ids AND claim_token = @token";
        var ids = sends.Select(s => s.Id).ToArray();
        var every = TimeSpan.FromSeconds(_options.LeaseSeconds / 3.0);
        try
        {
            while (true)
            {
                await Task.Delay(every, time, stop);
                var until = time.GetUtcNow().UtcDateTime.AddSeconds(_options.LeaseSeconds);
                await using var connection = await dataSource.OpenConnectionAsync(stop);
                await connection.ExecuteAsync(new CommandDefinition(sql, new { ids, token, until }, cancellationToken: stop));
                lease.Until = until;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The batch is done.
        }
        catch (MySqlException e)
        {
            // The leases run out; a send not yet called is then given back instead of called (SendAllAsync).
            logger.LogWarning(e, "Could not renew the leases of {Count} sends", ids.Length);
        }
    }

    private async Task<List<Outcome>> SendAllAsync(IReadOnlyList<LeasedSend> sends, BatchLease lease, CancellationToken ct)
    {
        var outcomes = new List<Outcome>(sends.Count);
        var toSend = new List<LeasedSend>(sends.Count);
        foreach (var account in sends.GroupBy(s => s.AppId))
        {
            var inAccount = account.ToList();
            var granted = await limiter.TakeAsync(account.Key, inAccount.Count);
            toSend.AddRange(inAccount.Take(granted));
            var over = inAccount.Count - granted;
            foreach (var (send, i) in inAccount.Skip(granted).Select((s, i) => (s, i)))
            {
                // Over the account's budget: back to pending for when the bucket has refilled, the attempt not counted.
                outcomes.Add(new Outcome(send, OutcomeKind.Deferred, null, null, null, limiter.WaitFor(i + 1)));
                metrics.Count(send.Api, "", "deferred");
            }

            if (over > 0)
            {
                logger.LogDebug("{Count} sends of {AppId} deferred by SendQueue:PerAccountPerSecond", over, account.Key);
            }
        }

        // 客服消息: WeChat's customer-service limits are checked before the calls, not learnt from 45015/45047, with one
        // round trip to Redis for the batch's slots.
        var custom = toSend.Where(s => s.SendsCustom).ToList();
        var decisions = await window.TakeAsync([.. custom.Select(s => (s.AppId, s.ToUser))], time.GetUtcNow().UtcDateTime);
        var taken = custom.Select((s, i) => (s.Id, Decision: decisions[i])).ToDictionary(d => d.Id, d => d.Decision);
        using var gate = new SemaphoreSlim(_options.MaxConcurrency);
        var sent = await Task.WhenAll(toSend.Select(async send =>
        {
            var decision = taken.GetValueOrDefault(send.Id, WindowDecision.Unknown);
            if (decision is WindowDecision.Closed or WindowDecision.QuotaUsed)
            {
                return RefusedByWindow(send, decision);
            }

            try
            {
                await gate.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                // Stopping before this send's call: its slot was taken with the batch's, and nothing was sent.
                await window.GiveBackAsync(send.AppId, send.ToUser, decision);
                throw;
            }

            try
            {
                if (!lease.IsHeld(time.GetUtcNow().UtcDateTime))
                {
                    // Another dispatcher may hold it now: back to pending (a no-op if so), the attempt not counted.
                    await window.GiveBackAsync(send.AppId, send.ToUser, decision);
                    return new Outcome(send, OutcomeKind.Deferred, null, null, null, TimeSpan.Zero);
                }

                return await SendOneAsync(send, decision, ct);
            }
            finally
            {
                gate.Release();
            }
        }));
        outcomes.AddRange(sent);
        return outcomes;
    }

    private Outcome RefusedByWindow(LeasedSend send, WindowDecision decision)
    {
        var errcode = decision == WindowDecision.Closed ? (int)WechatErrorCode.ResponseOutOfTimeLimit : (int)WechatErrorCode.CustomerServiceQuotaReached;
        var reason = decision == WindowDecision.Closed
            ? "refused before sending: no customer-service window is open (48 h after a message, 1 min after a follow, scan or click)"
            : $"refused before sending: the open window's customer-service messages are used up ({CustomerServiceWindow.MessageQuota} in 48 h after a message, {CustomerServiceWindow.EventQuota} in 1 min after a follow, scan or click)";
        return Refused(send, errcode, reason, beforeSending: true);
    }

    /// <param name="taken">The window slot taken for a customer-service send (given back when WeChat refuses it).</param>
    private async Task<Outcome> SendOneAsync(LeasedSend send, WindowDecision taken, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            long? msgId = null;
            switch (send.Api)
            {
                case "custom":
                    await wechat.SendCustomMessageAsync(send.AppId, send.Body, ct);
                    break;
                case "template":
                    msgId = await wechat.SendTemplateMessageAsync(send.AppId, send.FellBack ? send.FallbackBody! : send.Body, ct);
                    break;
                default:
                    await wechat.SendSubscribeMessageAsync(send.AppId, send.Body, ct);
                    break;
            }

            metrics.Called(send.Api, Stopwatch.GetElapsedTime(started));
            metrics.Count(send.Api, "0", "sent");
            metrics.Delivered(time.GetUtcNow().UtcDateTime - send.CreatedAt);
            return new Outcome(send, OutcomeKind.Sent, null, null, msgId, null);
        }
        catch (WechatApiException e)
        {
            metrics.Called(send.Api, Stopwatch.GetElapsedTime(started));
            await window.GiveBackAsync(send.AppId, send.ToUser, taken);
            return Classify(send, e);
        }
        catch (TimeoutException e)
        {
            // WeChat may have delivered it: sending again risks a duplicate, which at-least-once accepts.
            metrics.Called(send.Api, Stopwatch.GetElapsedTime(started));
            return Retry(send, null, "timeout", $"WeChat did not answer in time: {e.Message}");
        }
        catch (HttpRequestException e)
        {
            // The slot is kept: a connection lost after the request went out may have delivered it.
            return Retry(send, null, "transport", $"WeChat could not be reached: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // An appId without an AppSecret: no attempt would do better.
            metrics.Count(send.Api, "config", "failed");
            return new Outcome(send, OutcomeKind.Final, null, e.Message, null, null);
        }
    }

    /// <summary>WeChat's answer decides what happens next.</summary>
    private Outcome Classify(LeasedSend send, WechatApiException e)
    {
        switch (e.Code)
        {
            // The client refreshed the token once and was refused again: a later attempt gets a token fetched anew.
            case WechatErrorCode.InvalidCredential or WechatErrorCode.AccessTokenExpired or WechatErrorCode.InvalidAccessToken:
            // -1 "system busy": the same call may succeed later.
            case WechatErrorCode.SystemBusy:
            // Quotas: 45009 (daily), 45011 (per minute), 45047 (customer-service messages): back off.
            case WechatErrorCode.ApiDailyQuotaReached or WechatErrorCode.ApiMinuteQuotaReached or WechatErrorCode.CustomerServiceQuotaReached:
                return Retry(send, e.ErrorCode, e.ErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);

            // 45015 (outside the 48-hour window or unfollowed), 43004 (unfollowed), 43101 (refused the subscribe
            // message): another attempt gets the same answer.
            case WechatErrorCode.ResponseOutOfTimeLimit or WechatErrorCode.RequireSubscribe or WechatErrorCode.UserRefuseToAcceptMessage:
                return Refused(send, e.ErrorCode, e.Message, beforeSending: false);

            // Any other errcode (40003 unknown OpenID, 47001 bad body, 40037 bad template_id, 48001 no permission) is
            // about the send itself: retrying repeats it.
            default:
                metrics.Count(send.Api, e.ErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture), "failed");
                return new Outcome(send, OutcomeKind.Final, e.ErrorCode, e.Message, null, null);
        }
    }

    /// <summary>Final, except a customer-service send with a fallback, which becomes its template message (once).</summary>
    private Outcome Refused(LeasedSend send, int errcode, string reason, bool beforeSending)
    {
        var tag = (beforeSending ? "refused-" : "") + errcode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (send.SendsCustom && send.FallbackBody is not null && errcode != (int)WechatErrorCode.RequireSubscribe)
        {
            metrics.Count(send.Api, tag, "fallback");
            return new Outcome(send, OutcomeKind.FallBack, errcode, reason + "; sent as its fallback template message", null, null);
        }

        metrics.Count(send.Api, tag, "failed");
        return new Outcome(send, OutcomeKind.Final, errcode, reason, null, null);
    }

    private Outcome Retry(LeasedSend send, int? errcode, string tag, string error)
    {
        if (send.Attempts >= _options.MaxAttempts)
        {
            metrics.Count(send.Api, tag, "dead");
            return new Outcome(send, OutcomeKind.Dead, errcode, error, null, null);
        }

        metrics.Count(send.Api, tag, "retry");
        return new Outcome(send, OutcomeKind.Retry, errcode, error, null, Backoff(send.Attempts, errcode));
    }

    /// <summary>
    /// Base × 2^(attempt-1) with ±25% jitter, at most BackoffMaxSeconds; 45011 waits for the next minute's quota and
    /// 45009 at least an hour (the daily quota comes back at midnight, Beijing time).
    /// </summary>
    private TimeSpan Backoff(int attempt, int? errcode)
    {
        var exponential = Math.Min(_options.BackoffMaxSeconds * 1000.0, _options.BackoffBaseMilliseconds * Math.Pow(2, Math.Max(0, attempt - 1)));
        var delay = TimeSpan.FromMilliseconds(exponential * (0.75 + (Random.Shared.NextDouble() / 2)));
        var floor = errcode switch
        {
            (int)WechatErrorCode.ApiMinuteQuotaReached => TimeSpan.FromSeconds(60),
            (int)WechatErrorCode.ApiDailyQuotaReached => TimeSpan.FromHours(1),
            _ => TimeSpan.Zero,
        };
        return delay > floor ? delay : floor;
    }

    private async Task RecordAsync(List<Outcome> outcomes, string token, CancellationToken ct)
    {
        if (outcomes.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow().UtcDateTime;
        await using var connection = await dataSource.OpenConnectionAsync(ct);

        // The common case in one statement: delivered sends without a msgid.
        var sent = outcomes.Where(o => o.Kind == OutcomeKind.Sent && o.MsgId is null).Select(o => o.Send.Id).ToArray();
        if (sent.Length > 0)
        {
            const string sentSql = """
                UPDATE outbound_send SET status = @status, sent_at = @now, lease_until = NULL, claim_token = NULL
                WHERE id IN @ids AND claim_token = @token
                """;
            await connection.ExecuteAsync(new CommandDefinition(sentSql, new { status = SendStatus.Sent, now, ids = sent, token }, cancellationToken: ct));
        }

        const string sql = """
            UPDATE outbound_send
            SET status = @status, sent_at = @sentAt, wechat_msgid = COALESCE(@msgId, wechat_msgid),
                last_errcode = COALESCE(@errcode, last_errcode), last_error = COALESCE(@error, last_error),
                next_attempt_at = @nextAttemptAt, fell_back = fell_back OR @fellBack,
                attempts = attempts - @uncounted, lease_until = NULL, claim_token = NULL
            WHERE id = @id AND claim_token = @token
            """;
        var dead = new List<Outcome>();
        foreach (var outcome in outcomes.Where(o => o.Kind != OutcomeKind.Sent || o.MsgId is not null))
        {
            var status = outcome.Kind switch
            {
                OutcomeKind.Sent => SendStatus.Sent,
                OutcomeKind.Final => SendStatus.Failed,
                OutcomeKind.Dead => SendStatus.Dead,
                _ => SendStatus.Pending,
            };
            await connection.ExecuteAsync(new CommandDefinition(sql, new
            {
                id = outcome.Send.Id,
                token,
                status,
                sentAt = outcome.Kind == OutcomeKind.Sent ? now : (DateTime?)null,
                msgId = outcome.MsgId,
                errcode = outcome.Errcode,
                error = outcome.Error is { Length: > 1000 } text ? text[..1000] : outcome.Error,
                nextAttemptAt = outcome.Delay is { } delay ? now + delay : (DateTime?)null,
                fellBack = outcome.Kind == OutcomeKind.FallBack,
                uncounted = outcome.Kind == OutcomeKind.Deferred ? 1 : 0,
            }, cancellationToken: ct));
            if (outcome.Kind == OutcomeKind.Dead)
            {
                dead.Add(outcome);
            }
        }

        foreach (var outcome in dead)
        {
            logger.LogError("Send {SendId} to {AppId}/{OpenIdHash} is dead after {Attempts} attempts: {Error}", outcome.Send.Id, outcome.Send.AppId, PersonalData.Hash(outcome.Send.ToUser), outcome.Send.Attempts, outcome.Error);
            await stream.AddDeadLetterAsync(outcome.Send.Id, outcome.Errcode, outcome.Error);
        }
    }

    private async Task ReportDepthAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now - _depthAt < DepthInterval)
        {
            return;
        }

        _depthAt = now;
        const string sql = "SELECT COUNT(*) AS Count, MIN(created_at) AS Oldest FROM outbound_send WHERE status = @pending";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var (count, oldest) = await connection.QuerySingleAsync<(long Count, DateTime? Oldest)>(new CommandDefinition(sql, new { pending = SendStatus.Pending }, cancellationToken: ct));
        var depth = await stream.DepthAsync();
        metrics.Depth(depth.Length, depth.InFlight, count, oldest is { } at ? now.UtcDateTime - at : TimeSpan.Zero);
    }

    private enum OutcomeKind
    {
        Sent,
        Retry,
        Final,
        FallBack,
        Dead,
        Deferred,
    }

    private sealed record Outcome(LeasedSend Send, OutcomeKind Kind, int? Errcode, string? Error, long? MsgId, TimeSpan? Delay);

    /// <summary>Until when this dispatcher holds its batch's leases, as last written.</summary>
    private sealed class BatchLease(DateTime until)
    {
        private long _until = until.Ticks;

        public DateTime Until
        {
            get => new(Interlocked.Read(ref _until), DateTimeKind.Utc);
            set => Interlocked.Exchange(ref _until, value.Ticks);
        }

        public bool IsHeld(DateTime now) => now < Until;
    }
}

/// <summary>A send this dispatcher holds the lease of.</summary>
public sealed record LeasedSend(ulong Id, string AppId, string ToUser, string Kind, string Body, string? FallbackBody, bool FellBack, int Attempts, DateTime CreatedAt)
{
    /// <summary>The API this attempt calls: a fallen-back customer-service send goes out as a template message.</summary>
    public string Api => FellBack ? "template" : Kind;

    public bool SendsCustom => Api == "custom";
}
