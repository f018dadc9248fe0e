using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Followers;
using WechatGateway.Operations;
using WechatGateway.Wechat.Api;

namespace WechatGateway.MassSend;

/// <summary>
/// Worker job: makes the calls of planned mass sends, at most 60 a minute per account (counted in MySQL, so across
/// workers), each with its clientmsgid, no MySQL transaction open meanwhile. A call is leased before it is made (its
/// next attempt pushed back), so a worker that dies mid-call leaves it to be made again, and WeChat answers that second
/// attempt with the first one's msg_id (45065): nothing is sent twice. Sends whose MASSSENDJOBFINISH report did not come
/// are asked about with <c>message/mass/get</c>.
/// </summary>
public sealed class MassSendJob(
    MySqlDataSource dataSource,
    WechatApiClient wechat,
    IOptions<FollowerSyncOptions> options,
    TimeProvider time,
    ILogger<MassSendJob> logger) : PeriodicJob(time, logger)
{
    /// <summary>Attempts of a call WeChat did not answer (-1, a timeout) before it counts as failed.</summary>
    private const int MaxAttempts = 8;

    /// <summary>How long a report may take before the send is polled.</summary>
    public static readonly TimeSpan PollAfter = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.PollSeconds);

    public override async Task<int> RunOnceAsync(CancellationToken ct) => await SendDueAsync(ct) + await PollAsync(PollAfter, ct);

    private sealed record DueCall(ulong Id, ulong MassSendId, string AppId, string Target, int? TagId, string MessageJson, string ClientMsgId, string? OpenIds, int Attempts);

    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        const string due = """
            SELECT c.id AS Id, c.mass_send_id AS MassSendId, m.app_id AS AppId, m.target AS Target, m.tag_id AS TagId, m.message_json AS MessageJson,
                   c.client_msg_id AS ClientMsgId, c.open_ids AS OpenIds, c.attempts AS Attempts
            FROM mass_send_call c JOIN mass_send m ON m.id = c.mass_send_id
            WHERE c.state = @pending AND c.next_attempt_at <= @now ORDER BY c.id LIMIT 20
            """;
        List<DueCall> calls;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            calls = (await connection.QueryAsync<DueCall>(new CommandDefinition(due, new { pending = MassSendState.Pending, now = Time.GetUtcNow().UtcDateTime }, cancellationToken: ct))).AsList();
        }

        var made = 0;
        foreach (var call in calls)
        {
            if (!await LeaseAsync(call, ct))
            {
                continue;
            }

            made++;
            var message = JsonSerializer.Deserialize<MassMessage>(call.MessageJson)!;
            try
            {
                var result = call.Target == MassTarget.OpenIds
                    ? await wechat.MassSendAsync(call.AppId, JsonSerializer.Deserialize<string[]>(call.OpenIds!)!, message, call.ClientMsgId, ct)
                    : await wechat.MassSendAllAsync(call.AppId, call.TagId, message, call.ClientMsgId, ct);
                await FinishCallAsync(call, MassSendState.Sent, result.MsgId, null, ct);
                logger.LogInformation("Mass send {MassSendId} call {CallId} sent: msg_id {MsgId}{Repeat}", call.MassSendId, call.Id, result.MsgId, result.Repeated ? " (an earlier attempt's)" : "");
            }
            catch (Exception e) when ((e is WechatApiException { IsRetryable: true } or TimeoutException or HttpRequestException) && call.Attempts + 1 < MaxAttempts)
            {
                logger.LogWarning("Mass send {MassSendId} call {CallId} not answered ({Error}); tried again with the same clientmsgid", call.MassSendId, call.Id, e.Message);
            }
            catch (Exception e) when (e is WechatApiException or TimeoutException or HttpRequestException)
            {
                logger.LogWarning("Mass send {MassSendId} call {CallId} failed: {Error}", call.MassSendId, call.Id, e.Message);
                await FinishCallAsync(call, MassSendState.Failed, null, (e as WechatApiException)?.ErrorCode, ct);
            }
        }

        return made;
    }

    /// <summary>Asks <c>message/mass/get</c> about sent calls older than <paramref name="olderThan"/> whose report has not come.</summary>
    public async Task<int> PollAsync(TimeSpan olderThan, CancellationToken ct)
    {
        const string waiting = """
            SELECT c.id, m.app_id, c.msg_id FROM mass_send_call c JOIN mass_send m ON m.id = c.mass_send_id
            WHERE c.state = @sent AND c.reported_at IS NULL AND c.sent_at <= @before AND (c.polled_at IS NULL OR c.polled_at <= @before)
            ORDER BY c.id LIMIT 50
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var now = Time.GetUtcNow().UtcDateTime;
        var rows = (await connection.QueryAsync<(ulong Id, string AppId, long MsgId)>(new CommandDefinition(waiting,
            new { sent = MassSendState.Sent, before = now - olderThan }, cancellationToken: ct))).AsList();
        foreach (var (id, appId, msgId) in rows)
        {
            var status = await wechat.GetMassStatusAsync(appId, msgId, ct);
            await connection.ExecuteAsync(new CommandDefinition("UPDATE mass_send_call SET wechat_status = @status, polled_at = @now WHERE id = @id AND reported_at IS NULL",
                new { status, now, id }, cancellationToken: ct));
        }

        return rows.Count;
    }

    /// <summary>
    /// Takes the call for one attempt: within the account's 60 calls a minute, and only if no other worker took it.
    /// Its next attempt moves past the lease, so a worker that dies mid-call leaves it to another.
    /// </summary>
    private async Task<bool> LeaseAsync(DueCall call, CancellationToken ct)
    {
        const string sql = """
            UPDATE mass_send_call c
            SET c.attempts = c.attempts + 1, c.next_attempt_at = @until, c.sent_at = @now
            WHERE c.id = @id AND c.state = @pending AND c.next_attempt_at <= @now
              AND (SELECT COUNT(*) FROM (
                    SELECT 1 FROM mass_send_call x JOIN mass_send m ON m.id = x.mass_send_id
                    WHERE m.app_id = @appId AND x.sent_at > @minuteAgo) recent) < @perMinute
            """;
        var now = Time.GetUtcNow().UtcDateTime;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            id = call.Id, pending = MassSendState.Pending, now, until = now + Lease, appId = call.AppId, minuteAgo = now.AddMinutes(-1), perMinute = MassSends.CallsPerMinute,
        }, cancellationToken: ct)) == 1;
    }

    private async Task FinishCallAsync(DueCall call, string state, long? msgId, int? errcode, CancellationToken ct)
    {
        // The send is sent once no call is pending, failed when every call failed.
        const string sql = """
            UPDATE mass_send_call SET state = @state, msg_id = @msgId, errcode = @errcode WHERE id = @id;
            UPDATE mass_send m SET m.state = CASE
                WHEN EXISTS (SELECT 1 FROM mass_send_call c WHERE c.mass_send_id = m.id AND c.state = @pending) THEN m.state
                WHEN EXISTS (SELECT 1 FROM mass_send_call c WHERE c.mass_send_id = m.id AND c.state = @sent) THEN @sent
                ELSE @failed END
            WHERE m.id = @massSendId;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            state, msgId, errcode, id = call.Id, massSendId = call.MassSendId, pending = MassSendState.Pending, sent = MassSendState.Sent, failed = MassSendState.Failed,
        }, cancellationToken: ct));
    }
}
