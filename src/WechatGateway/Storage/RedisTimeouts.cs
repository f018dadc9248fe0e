namespace WechatGateway.Storage;

/// <summary>How long a caller waits on Redis where Redis is only a cache or a guard, never the record.</summary>
public static class RedisTimeouts
{
    /// <summary>
    /// Redis answers in well under a millisecond; past this it is down or stalled, and the caller goes on without it
    /// (MySQL answers, the check is skipped and counted) instead of holding a push past WeChat's 5 seconds.
    /// </summary>
    public static readonly TimeSpan FailFast = TimeSpan.FromMilliseconds(250);
}
