using System.Globalization;
using WechatSimulator.Follower;

namespace WechatSimulator.Mass;

/// <summary>
/// Plays WeChat's MASSSENDJOBFINISH push: once a mass send is done, its report goes to the account's server URL
/// (<see cref="SimulatorOptions.GatewayUrl"/> + <c>/wechat/{appId}</c>), signed with the account's token, in safe mode
/// when the account has an EncodingAESKey. Without a gateway URL or a token nothing is pushed: a test delivers the report
/// itself with <see cref="BuildReport"/>, or lets the gateway poll <c>message/mass/get</c>.
/// </summary>
public sealed class MassReporter(SimulatorState state)
{
    /// <summary>The sender of every mass-send report, as WeChat sends it from a system OpenID rather than a follower's.</summary>
    public const string ReportOpenId = "o_masssend_report";

    private readonly Lazy<HttpClient> _gateway = new(() => new HttpClient
    {
        BaseAddress = new Uri(state.Options.GatewayUrl!.TrimEnd('/') + "/"),
        Timeout = TimeSpan.FromSeconds(10),
    });

    /// <summary>The report's fields, as <see cref="FollowerDriver.BuildPush"/> takes them for kind <c>masssendjobfinish</c>.</summary>
    public static Dictionary<string, string> BuildReport(SimMassJob job) => new(StringComparer.Ordinal)
    {
        ["MsgID"] = job.MsgId.ToString(CultureInfo.InvariantCulture),
        ["Status"] = "send success",
        ["TotalCount"] = job.TotalCount.ToString(CultureInfo.InvariantCulture),
        ["FilterCount"] = job.FilterCount.ToString(CultureInfo.InvariantCulture),
        ["SentCount"] = job.SentCount.ToString(CultureInfo.InvariantCulture),
        ["ErrorCount"] = job.ErrorCount.ToString(CultureInfo.InvariantCulture),
    };

    public void Report(SimMassJob job)
    {
        if (string.IsNullOrEmpty(state.Options.GatewayUrl) || state.Accounts.Find(job.AppId) is not { Token: { Length: > 0 } token } account)
        {
            return;
        }

        var driver = new FollowerDriver(new FollowerAccount(job.AppId, token, account.EncodingAesKey), state.Time);
        var push = driver.Sign(driver.BuildPush(ReportOpenId, "masssendjobfinish", BuildReport(job)), ReportOpenId,
            string.IsNullOrEmpty(account.EncodingAesKey) ? SecurityMode.Plaintext : SecurityMode.Safe);
        // WeChat pushes the report after the send, on its own schedule: the API call has answered already.
        _ = Task.Run(async () =>
        {
            try
            {
                using var response = await driver.SendAsync(_gateway.Value, push);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // WeChat does not retry a report the server did not take; the gateway polls message/mass/get.
            }
        });
    }
}
