namespace WechatGateway.Push;

/// <summary>The <c>outbound_send.status</c> values (see V8__send_queue.sql).</summary>
public static class SendStatus
{
    public const string Pending = "pending";
    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Dead = "dead";

    /// <summary>Never sent, and never will be: its member's personal data was erased before it left.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Not sent yet: still to be relayed, queued in the stream, or waiting for a retry.</summary>
    public static readonly string[] Unsent = [Pending, Queued];

    public static readonly string[] All = [Pending, Queued, Sent, Failed, Dead, Cancelled];

    public static string Of(SendKind kind) => kind switch
    {
        SendKind.Custom => "custom",
        SendKind.Template => "template",
        _ => "subscribe",
    };
}
