namespace WechatGateway.Storage;

/// <summary>Every Redis key the gateway uses, built in one place under one prefix.</summary>
public static class RedisKeys
{
    public const string Prefix = "wg:";

    public static string ReadinessProbe => Prefix + "ready";
}
