namespace WechatGateway.Wechat.Api;

/// <summary>WeChat answered a call with a non-zero <c>errcode</c>.</summary>
/// <remarks>The message never holds the access_token or the AppSecret: both are cut from WeChat's errmsg.</remarks>
public sealed class WechatApiException : Exception
{
    public WechatApiException(string api, int errorCode, string errorMessage)
        : base(Describe(api, errorCode, errorMessage))
    {
        Api = api;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
        Code = Enum.IsDefined(typeof(WechatErrorCode), errorCode) ? (WechatErrorCode)errorCode : null;
    }

    /// <summary>The API path that failed, e.g. <c>cgi-bin/message/custom/send</c>.</summary>
    public string Api { get; }

    /// <summary>WeChat's <c>errcode</c>.</summary>
    public int ErrorCode { get; }

    /// <summary>WeChat's <c>errmsg</c> (with its <c>rid</c>, which WeChat support asks for).</summary>
    public string ErrorMessage { get; }

    /// <summary>
    /// WeChat's whole answer, for the errors that carry more than errcode and errmsg (45065 names the earlier mass send's
    /// <c>msg_id</c>); default when the error did not come from a WeChat answer.
    /// </summary>
    public System.Text.Json.JsonElement Answer { get; init; }

    /// <summary>The typed code, or null for a code this library does not name.</summary>
    public WechatErrorCode? Code { get; }

    /// <summary>
    /// 40001, 40014 or 42001: the access_token was refused. The client refreshes once and retries once; seeing this
    /// from the client means the fresh token was refused too, so retrying again will not help.
    /// </summary>
    public bool IsTokenError => Code is WechatErrorCode.InvalidCredential or WechatErrorCode.InvalidAccessToken or WechatErrorCode.AccessTokenExpired;

    /// <summary>-1: WeChat was busy; the same call may succeed later (for a send, through the caller's queue, not blindly).</summary>
    public bool IsRetryable => Code is WechatErrorCode.SystemBusy;

    private static string Describe(string api, int errorCode, string errorMessage)
    {
        var name = Enum.IsDefined(typeof(WechatErrorCode), errorCode) ? $" ({(WechatErrorCode)errorCode})" : "";
        return $"WeChat API {api} failed with errcode {errorCode}{name}: {errorMessage}";
    }
}
