using System.Collections.Concurrent;

namespace WechatSimulator.Accounts;

/// <summary>服务号 or 订阅号: what WeChat lets an official account mass send.</summary>
public enum AccountServiceType
{
    Service,
    Subscription,
}

/// <param name="Token">The server-configuration token (and key) the simulator signs its pushes to the gateway with.</param>
public sealed record SimAccount(
    string AppId, string Secret, AccountServiceType ServiceType = AccountServiceType.Service, string? Token = null, string? EncodingAesKey = null);

/// <summary>
/// The accounts WeChat knows: those in <c>Wechat:Accounts:N:AppId/AppSecret</c> (the gateway's own keys, so one set of
/// environment variables configures both; <c>ServiceType</c>, <c>Token</c> and <c>EncodingAESKey</c> are read too) plus those added through <c>POST /_sim/accounts</c>.
/// </summary>
public sealed class AccountStore
{
    private readonly ConcurrentDictionary<string, SimAccount> _accounts = new(StringComparer.Ordinal);

    public AccountStore(IConfiguration configuration)
    {
        foreach (var section in configuration.GetSection("Wechat:Accounts").GetChildren())
        {
            var appId = section["AppId"];
            var secret = section["AppSecret"];
            if (!string.IsNullOrEmpty(appId) && !string.IsNullOrEmpty(secret))
            {
                var serviceType = Enum.TryParse<AccountServiceType>(section["ServiceType"], ignoreCase: true, out var t) ? t : AccountServiceType.Service;
                Add(new SimAccount(appId, secret, serviceType, section["Token"], section["EncodingAESKey"]));
            }
        }
    }

    public SimAccount? Find(string appId) => _accounts.GetValueOrDefault(appId);

    public void Add(SimAccount account) => _accounts[account.AppId] = account;

    public IReadOnlyList<SimAccount> All() => [.. _accounts.Values.OrderBy(a => a.AppId, StringComparer.Ordinal)];
}
