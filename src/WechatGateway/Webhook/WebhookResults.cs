namespace WechatGateway.Webhook;

/// <summary>WeChat reads the webhook's answers as plain text or XML, never problem details.</summary>
public static class WebhookResults
{
    /// <summary>WeChat's "nothing to reply" answer: without it, it shows the follower "service unavailable".</summary>
    public const string Success = "success";

    public static IResult Text(int statusCode, string text) =>
        TypedResults.Text(text, "text/plain; charset=utf-8", statusCode: statusCode);

    public static IResult Xml(string xml) => TypedResults.Text(xml, "application/xml; charset=utf-8");
}
