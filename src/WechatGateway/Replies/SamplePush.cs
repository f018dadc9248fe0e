using System.Security;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Replies;

/// <summary>
/// The push an operator's "try" describes (a text, or an event with its key as WeChat sends it), built as WeChat's XML
/// and read by the same parser as a real push: a rule and its template see in a try exactly what they see live (a
/// follow through <c>qrscene_x</c> has the scene <c>x</c> in both).
/// </summary>
public static class SamplePush
{
    public static WechatPush Of(string? text, string? evt, string? eventKey, DateTimeOffset at)
    {
        var body = evt is { Length: > 0 }
            ? $"<MsgType>event</MsgType><Event>{Escape(evt.ToLowerInvariant())}</Event>{Element("EventKey", EventKeyOf(evt.ToLowerInvariant(), eventKey))}"
            : $"<MsgType>text</MsgType>{Element("Content", text ?? "")}<MsgId>1</MsgId>";
        return WechatPushParser.Parse($"<xml><ToUserName>gh_try</ToUserName><FromUserName>o_try</FromUserName><CreateTime>{at.ToUnixTimeSeconds()}</CreateTime>{body}</xml>");
    }

    // WeChat prefixes the scene of a follow through a QR code with "qrscene_"; an operator may type it either way.
    private static string? EventKeyOf(string evt, string? key) =>
        evt == "subscribe" && key is { Length: > 0 } && !key.StartsWith("qrscene_", StringComparison.Ordinal) ? "qrscene_" + key : key;

    private static string Element(string name, string? value) => value is null ? "" : $"<{name}>{Escape(value)}</{name}>";

    private static string Escape(string value) => SecurityElement.Escape(value);
}
