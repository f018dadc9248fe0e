namespace WechatGateway.Push;

/// <summary>Which WeChat API delivers a send.</summary>
public enum SendKind
{
    /// <summary><c>cgi-bin/message/custom/send</c>: a customer-service message, only within the window a follower opened.</summary>
    Custom,

    /// <summary><c>cgi-bin/message/template/send</c>: a template message, not bound to the 48-hour window.</summary>
    Template,

    /// <summary><c>cgi-bin/message/subscribe/send</c>: a one-time subscribe message (mini-program or official account).</summary>
    Subscribe,
}

/// <summary>A message to send through the queue.</summary>
/// <param name="Body">WeChat's JSON body without the access_token, e.g. <c>{"touser":"o…","msgtype":"text","text":{"content":"hi"}}</c>.</param>
/// <param name="SourceKey">Idempotency key (at most 191 characters), e.g. <c>push:123:reply</c>: the same key is sent once.</param>
/// <param name="FallbackBody">A template-message body sent instead when a customer-service send is outside the window a follower opened (45015).</param>
public sealed record OutboundMessage(string AppId, string ToUser, ulong? MemberId, SendKind Kind, string Body, string SourceKey, string? FallbackBody = null);
