namespace WechatGateway.Wechat.Messages;

/// <summary>
/// A push WeChat signed whose fields do not fit what this library types (a CreateTime that is not a number, …).
/// It is WeChat's to send, so it is kept, raw, for operators; <see cref="Problem"/> says what did not fit.
/// </summary>
public sealed record UnparsedPush : WechatPush
{
    public required string Problem { get; init; }

    /// <summary>Without fields we can trust, the push is identified by all of its fields: a retry repeats them all.</summary>
    public override string DeduplicationKey => $"raw:{ToUserName}:{FieldsDigest()}";
}
