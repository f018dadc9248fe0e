using System.ComponentModel.DataAnnotations;
using WechatGateway.Wechat.Security;

namespace WechatGateway.Accounts;

public enum AccountType
{
    OfficialAccount,
    MiniProgram,
}

/// <summary>服务号 or 订阅号: what WeChat lets an official account mass send.</summary>
public enum OfficialAccountServiceType
{
    /// <summary>A service account: mass sends to OpenID lists; each follower receives at most four a month.</summary>
    Service,

    /// <summary>A subscription account: one mass send (to all or a tag) a day, no OpenID lists.</summary>
    Subscription,
}

public enum ReplyMode
{
    /// <summary>Acknowledge at once with <c>success</c>; answers go out through the push queue and the customer-service API.</summary>
    Queue,

    /// <summary>Answer in the HTTP response, for accounts without customer-service permission.</summary>
    Passive,
}

/// <summary>The <c>Wechat</c> configuration section.</summary>
public sealed class WechatOptions
{
    public const string Section = "Wechat";

    [Required, Url]
    public string ApiBaseUrl { get; set; } = "https://api.weixin.qq.com";

    /// <summary>A push whose timestamp is further than this from now is refused; 0 turns the check off.</summary>
    [Range(0, 86_400)]
    public int ReplayWindowSeconds { get; set; } = 300;

    public List<AccountOptions> Accounts { get; set; } = [];
}

/// <summary>One official account or mini-program, <c>Wechat:Accounts:N</c>.</summary>
public sealed class AccountOptions
{
    public string AppId { get; set; } = "";

    public string AppSecret { get; set; } = "";

    public string? Name { get; set; }

    public AccountType Type { get; set; } = AccountType.OfficialAccount;

    /// <summary>The server-configuration token of an official account.</summary>
    public string? Token { get; set; }

    /// <summary>The 43-character message encryption key; required for safe and compatible modes.</summary>
    public string? EncodingAESKey { get; set; }

    public ReplyMode ReplyMode { get; set; } = ReplyMode.Queue;

    /// <summary>An official account's kind on WeChat (<c>Service</c> or <c>Subscription</c>), for its mass-send limits.</summary>
    public OfficialAccountServiceType ServiceType { get; set; } = OfficialAccountServiceType.Service;

    /// <summary>
    /// How pushes must arrive: <c>Plain</c>, <c>Compatible</c> or <c>Safe</c>, as set in the WeChat console; by default
    /// <c>Safe</c> when an EncodingAESKey is configured, else <c>Plain</c>.
    /// </summary>
    public PushSecurityMode? SecurityMode { get; set; }

    public PushSecurityMode EffectiveSecurityMode =>
        SecurityMode ?? (string.IsNullOrEmpty(EncodingAESKey) ? PushSecurityMode.Plain : PushSecurityMode.Safe);
}
