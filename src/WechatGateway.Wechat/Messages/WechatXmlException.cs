namespace WechatGateway.Wechat.Messages;

/// <summary>A body that is not a well-formed WeChat push: the webhook answers it with 400 (413 when oversize).</summary>
public sealed class WechatXmlException(string message) : Exception(message)
{
    /// <summary>True when the body was refused only for its size (the webhook's 413 rather than 400).</summary>
    public bool IsOversize { get; init; }
}
