using Dapper;
using MySqlConnector;
using WechatGateway.Processing;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.MassSend;

/// <summary>
/// MASSSENDJOBFINISH: WeChat's totals of a mass send (sent, filtered, errors) onto the call it reports, beside our own
/// counts. Running it twice writes the same values.
/// </summary>
public sealed class MassSendPushHandler(TimeProvider time) : IPushHandler
{
    public string Name => "mass-send";

    public async Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        if (work.Push is not MassSendJobFinishEvent report || !long.TryParse(report.MsgId, out var msgId))
        {
            return;
        }

        const string sql = """
            UPDATE mass_send_call c JOIN mass_send m ON m.id = c.mass_send_id
            SET c.wechat_status = @Status, c.total_count = @TotalCount, c.filter_count = @FilterCount, c.sent_count = @SentCount,
                c.error_count = @ErrorCount, c.reported_at = COALESCE(c.reported_at, @now)
            WHERE m.app_id = @appId AND c.msg_id = @msgId
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            report.Status, TotalCount = Count(report.TotalCount), FilterCount = Count(report.FilterCount), SentCount = Count(report.SentCount), ErrorCount = Count(report.ErrorCount),
            now = time.GetUtcNow().UtcDateTime, appId = work.Account.AppId, msgId,
        }, transaction, cancellationToken: ct));
    }

    private static int? Count(long? value) => value is { } v ? (int)Math.Clamp(v, 0, int.MaxValue) : null;
}
