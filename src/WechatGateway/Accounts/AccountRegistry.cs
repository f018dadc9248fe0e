using System.Collections.Frozen;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using WechatGateway.Storage;
using WechatGateway.Wechat.Api;
using WechatGateway.Wechat.Messages;
using WechatGateway.Wechat.Security;

namespace WechatGateway.Accounts;

/// <summary>A configured account, with its message crypto built once.</summary>
public sealed record WechatAccount(AccountOptions Options, WechatMessageCrypto? Crypto)
{
    public string AppId => Options.AppId;

    public string Token => Options.Token ?? "";

    /// <summary>
    /// Whether WeChat pushes to this account's webhook: every official account, and a mini-program whose message push
    /// (消息推送) is configured with a token.
    /// </summary>
    public bool ReceivesPushes => Options.Type == AccountType.OfficialAccount || !string.IsNullOrEmpty(Options.Token);

    /// <summary>How this account's pushes are opened and its replies sealed.</summary>
    public PushEndpoint Endpoint { get; } = new(Options.Token ?? "", Options.EffectiveSecurityMode, Crypto);
}

/// <summary>The accounts this gateway serves, looked up by appId on every push.</summary>
public sealed class AccountRegistry(IOptions<WechatOptions> options)
{
    private readonly FrozenDictionary<string, WechatAccount> _accounts = options.Value.Accounts
        .ToFrozenDictionary(
            a => a.AppId,
            a => new WechatAccount(a, string.IsNullOrEmpty(a.EncodingAESKey) ? null : new WechatMessageCrypto(a.EncodingAESKey, a.AppId)),
            StringComparer.Ordinal);

    public IEnumerable<WechatAccount> All => _accounts.Values;

    public WechatAccount? Find(string appId) => _accounts.GetValueOrDefault(appId);
}

public static class AccountServiceExtensions
{
    public static IServiceCollection AddWechatAccounts(this IServiceCollection services)
    {
        services.AddOptions<WechatOptions>()
            .BindConfiguration(WechatOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<WechatOptions>, WechatOptionsValidator>();
        services.AddSingleton<AccountRegistry>();
        return services;
    }

    /// <summary>
    /// The WeChat API client, pointed at <c>Wechat:ApiBaseUrl</c> with the configured accounts' secrets, sharing
    /// access tokens across instances through Redis.
    /// </summary>
    public static IServiceCollection AddWechatApiClient(this IServiceCollection services)
    {
        services.AddWechatApi(_ => { });
        services.TryAddSingleton<IAccessTokenStore, RedisAccessTokenStore>();
        services.AddOptions<WechatApiOptions>().Configure<IOptions<WechatOptions>>((api, wechat) =>
        {
            api.BaseUrl = wechat.Value.ApiBaseUrl;
            foreach (var account in wechat.Value.Accounts)
            {
                api.AppSecrets[account.AppId] = account.AppSecret;
            }
        });
        return services;
    }
}
