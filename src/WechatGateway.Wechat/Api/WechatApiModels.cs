namespace WechatGateway.Wechat.Api;

/// <summary>
/// <c>sns/jscode2session</c>: who logged in to the mini-program. <see cref="SessionKey"/> decrypts the user's data and
/// must never leave the server.
/// </summary>
public sealed record Code2SessionResult(string OpenId, string SessionKey, string? UnionId);

/// <summary><c>wxa/business/getuserphonenumber</c>: <c>phone_info</c>.</summary>
public sealed record PhoneNumber(string PhoneNumberWithCountryCode, string PurePhoneNumber, string CountryCode);

/// <summary>
/// <c>cgi-bin/user/info</c>. An unsubscribed user comes back with only the OpenID (and the UnionID when the account is
/// bound to an open platform). WeChat stopped returning nicknames in December 2021, so <see cref="Nickname"/> is
/// usually null.
/// </summary>
public sealed record WechatUserInfo(
    bool Subscribed,
    string OpenId,
    string? UnionId,
    string? Nickname,
    string? Language,
    long? SubscribeTime,
    string? SubscribeScene,
    string? QrScene,
    string? QrSceneStr,
    IReadOnlyList<int> TagIds,
    string? Remark = null);

/// <summary>
/// <c>cgi-bin/qrcode/create</c>. Show it as <c>https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=</c> + the
/// URL-encoded <see cref="Ticket"/>; <see cref="Url"/> is the content the QR code encodes.
/// </summary>
public sealed record QrCode(string Ticket, int? ExpireSeconds, string Url);

/// <summary><c>cgi-bin/media/upload</c>: a temporary media file, usable for 3 days.</summary>
public sealed record UploadedMedia(string Type, string MediaId, long CreatedAt);

/// <summary><c>cgi-bin/user/get</c>: one page of followers; <see cref="NextOpenId"/> null after the last.</summary>
/// <param name="Total">The account's followers, all pages together.</param>
public sealed record FollowerPage(int Total, IReadOnlyList<string> OpenIds, string? NextOpenId);

/// <summary>A tag of an official account (<c>cgi-bin/tags/get</c>); <see cref="Count"/> is how many followers carry it.</summary>
public sealed record WechatTag(int Id, string Name, int Count);
