namespace WechatGateway.Wechat.Api;

/// <summary>How the gateway reaches the WeChat API. The gateway fills it from <c>Wechat:ApiBaseUrl</c> and <c>Wechat:Accounts</c>.</summary>
public sealed class WechatApiOptions
{
    /// <summary>WeChat's API host; the simulator's URL in development and tests.</summary>
    public string BaseUrl { get; set; } = "https://api.weixin.qq.com";

    /// <summary>appId → AppSecret, for every official account and mini-program served.</summary>
    public Dictionary<string, string> AppSecrets { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Upper bound of one API call, retries included. A caller (a webhook reply, a mini-program login) would rather
    /// fail fast than hang on a stalled WeChat.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Upper bound of one attempt; a stalled idempotent call is retried within <see cref="RequestTimeout"/>.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a caller waits for another caller (or instance) to fetch the access_token before giving up.</summary>
    public TimeSpan TokenWaitTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
