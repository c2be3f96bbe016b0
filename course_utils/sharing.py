"""Sharing a fine-tuned model on the Hub: may ``trainer.push_to_hub()`` run here?

Lesson 04 keeps the library call (``trainer.push_to_hub(...)``) in the notebook and
asks :func:`ready_to_push` first. Uploading needs three things, checked cheapest
first, and each missing one is said in Chinese instead of a traceback:

1. a Hugging Face token (``HF_TOKEN``, ``hf auth login`` or ``notebook_login()``),
   looked up locally, with no network;
2. a reachable Hub (``course_utils.hub.hub_status``: honours ``HF_HUB_OFFLINE``
   and ``HF_ENDPOINT``);
3. the learner's go-ahead (``upload=True``): "run all" never publishes a repository;

and then the token must be accepted by the endpoint (one ``whoami`` call), which
also catches expired tokens and read-only mirrors before anything is written.
"""

from __future__ import annotations

from .hub import hub_status

LOGIN_HELP = (
    "登录方法（任选一种）：在终端运行 hf auth login（旧版本的 huggingface_hub 叫 huggingface-cli login）；"
    "在 Jupyter / Colab 里运行 from huggingface_hub import notebook_login; notebook_login()；"
    "或者设置环境变量 HF_TOKEN（Colab 可以放进左侧“密钥”里）。令牌要有 write 权限："
    "https://huggingface.co/settings/tokens"
)


def hub_token() -> str | None:
    """The Hugging Face token that uploads would use, or None (local lookup only, no network)."""
    from huggingface_hub import get_token

    try:
        return get_token()
    except Exception:  # noqa: BLE001 - e.g. a failed OIDC exchange: treated as "no token"
        return None


def ready_to_push(upload: bool = False, verbose: bool = True) -> bool:
    """True when ``trainer.push_to_hub()`` can upload now; otherwise print why not (Chinese) and return False."""

    def skip(reason: str) -> bool:
        if verbose:
            print(f"没有上传到 Hub：{reason}")
        return False

    token = hub_token()
    if token is None:
        return skip(f"没有找到 Hugging Face 令牌。{LOGIN_HELP}")
    status = hub_status()
    if not status.reachable:
        return skip(f"{status.reason}。能连上 Hub 时再运行这一格。")
    if not upload:
        return skip(
            "令牌和 Hub 都没问题，但 upload 是 False。确认要在你的账号下新建（或更新）这个模型仓库，"
            "就把 upload 改成 True 再运行这一格。"
        )
    from huggingface_hub import whoami

    try:
        user = whoami(token=token)
    except Exception as err:  # noqa: BLE001 - any refusal: say it, keep the library's words
        return skip(
            f"{status.endpoint} 不接受这个令牌（过期、没有 write 权限，或这是只读的镜像站）。{LOGIN_HELP}\n"
            f"(English: {type(err).__name__}: {err})"
        )
    role = user.get("auth", {}).get("accessToken", {}).get("role")
    if role == "read":
        return skip(f"这个令牌只有 read 权限，不能上传。{LOGIN_HELP}")
    if verbose:
        print(f"上传到 {status.endpoint} 上 {user.get('name', '?')} 的账号下。")
    return True
