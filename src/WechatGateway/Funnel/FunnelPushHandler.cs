using Dapper;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Groups;
using WechatGateway.Processing;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Funnel;

/// <summary>
/// The funnel's first steps as a stage of push processing: a follow through a live code (subscribe with scene
/// <c>group:CODE</c>) or a follower's SCAN of one enters the member in that code's funnel (<see cref="ChannelFunnel"/>).
/// A code that is not (or no longer) in <c>group_live_code</c> has no funnel. Safe to run twice for one push: the entry
/// and each of its steps are counted once.
/// </summary>
public sealed class FunnelPushHandler : IPushHandler
{
    public string Name => "funnel";

    public async Task HandleAsync(PushWork work, MySqlConnection connection, MySqlTransaction transaction, CancellationToken ct)
    {
        if (work.Account.Options.Type != AccountType.OfficialAccount)
        {
            return;
        }

        var (scene, followed) = work.Push switch
        {
            SubscribeEvent { Scene: { } s } => (s, true),
            ScanEvent scan => (scan.Scene, false),
            _ => (null, false),
        };
        if (scene is null || !LiveCodes.TryParseScene(scene, out var code))
        {
            return;
        }

        const string sql = "SELECT id AS Id, COALESCE(store_id, 0) AS StoreId FROM group_live_code WHERE app_id = @appId AND code = @code";
        if (await connection.QuerySingleOrDefaultAsync<(ulong Id, ulong StoreId)?>(new CommandDefinition(sql, new { appId = work.Account.AppId, code }, transaction, cancellationToken: ct)) is not { } live)
        {
            return;
        }

        var at = DateTimeOffset.FromUnixTimeSeconds(work.Push.CreateTime).UtcDateTime;
        await ChannelFunnel.EnterAsync(connection, transaction, new FunnelScan(work.MemberId, live.Id, work.Account.AppId, live.StoreId, at), followed, ct);
    }
}
