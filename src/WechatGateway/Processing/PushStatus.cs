namespace WechatGateway.Processing;

/// <summary>The states of a recorded push (<c>wechat_push.status</c>); SQL takes them as parameters, never as literals.</summary>
public static class PushStatus
{
    /// <summary>Recorded and answered; the handlers have not all run yet.</summary>
    public const string Recorded = "recorded";

    /// <summary>Every handler has run.</summary>
    public const string Processed = "processed";

    /// <summary>A handler kept failing: parked with its error until an operator replays it.</summary>
    public const string Failed = "failed";

    /// <summary>Signed by WeChat but not typed (<see cref="Wechat.Messages.UnparsedPush"/>): kept raw, never processed.</summary>
    public const string Unparsed = "unparsed";
}
