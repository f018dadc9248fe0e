using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;
using WechatGateway.Privacy;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Members;

/// <summary>
/// Worker job: asks WeChat (<c>cgi-bin/user/info</c>) for the UnionID of followers seen for the first time, and merges
/// them with the member that already holds it. The work list is the database itself (identities never checked),
/// so nothing is lost when the worker restarts or WeChat is down: unchecked identities stay unchecked.
/// </summary>
public sealed class UnionIdFetchJob(
    MySqlDataSource dataSource,
    WechatApiClient wechat,
    MemberMerger merger,
    IOptions<MemberOptions> options,
    TimeProvider time,
    ILogger<UnionIdFetchJob> logger) : PeriodicJob(time, logger)
{
    private const int BatchSize = 50;

    protected override TimeSpan Interval => TimeSpan.FromSeconds(options.Value.UnionFetchIntervalSeconds);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        const string pending = """
            SELECT app_id AS AppId, open_id AS OpenId FROM member_identity
            WHERE account_type = 'OfficialAccount' AND union_checked_at IS NULL
            ORDER BY created_at LIMIT @BatchSize
            """;
        const string done = "UPDATE member_identity SET union_checked_at = @now WHERE app_id = @appId AND open_id = @openId";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var batch = (await connection.QueryAsync<(string AppId, string OpenId)>(new CommandDefinition(pending, new { BatchSize }, cancellationToken: ct))).AsList();
        var checkedCount = 0;
        foreach (var (appId, openId) in batch)
        {
            try
            {
                var info = await wechat.GetUserInfoAsync(appId, openId, ct);
                if (info.UnionId is { Length: > 0 } unionId)
                {
                    await merger.AttachUnionIdAsync(appId, openId, unionId, "cgi-bin/user/info", ct);
                }
            }
            catch (WechatApiException e) when (e.Code is WechatErrorCode.InvalidOpenId or WechatErrorCode.ApiUnauthorized)
            {
                // 40003: WeChat does not know this OpenID; 48001: the account may not call user/info. Asking again will not help.
                logger.LogInformation("No UnionID for {AppId}/{OpenIdHash}: {Error}", appId, PersonalData.Hash(openId), e.Message);
            }
            catch (WechatApiException e)
            {
                logger.LogWarning("UnionID fetch for {AppId}/{OpenIdHash} failed ({Error}); retrying next round", appId, PersonalData.Hash(openId), e.Message);
                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(done, new { appId, openId, now = Time.GetUtcNow().UtcDateTime }, cancellationToken: ct));
            checkedCount++;
        }

        if (batch.Count > 0)
        {
            logger.LogInformation("UnionID fetch: {Checked} of {Batch} followers checked", checkedCount, batch.Count);
        }

        return checkedCount;
    }
}
