namespace WechatGateway.Push;

/// <summary>The <c>outbound_send.status</c> values (see V8__send_queue.sql).</summary>
public static class SendStatus
{
    public const string Pending = "pending";
    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Dead = "dead";

    public static readonly string[] All = [Pending, Queued, Sent, Failed, Dead];

    public static string Of(SendKind kind) => kind switch
    {
        SendKind.Custom => "custom",
        SendKind.Template => "template",
        _ => "subscribe",
    };
}
