using System.Collections.Concurrent;

namespace WechatSimulator.Accounts;

public sealed record SimAccount(string AppId, string Secret);

/// <summary>
/// The accounts WeChat knows: those in <c>Wechat:Accounts:N:AppId/AppSecret</c> (the gateway's own keys, so one set of
/// environment variables configures both) plus those added through <c>POST /_sim/accounts</c>.
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
                Add(new SimAccount(appId, secret));
            }
        }
    }

    public SimAccount? Find(string appId) => _accounts.GetValueOrDefault(appId);

    public void Add(SimAccount account) => _accounts[account.AppId] = account;

    public IReadOnlyList<SimAccount> All() => [.. _accounts.Values.OrderBy(a => a.AppId, StringComparer.Ordinal)];
}
