//! Where the tensors live: the CPU (burn-flex) unless the GPU is asked for.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

use crate::error::{Error, Result};

/// A device a run can be asked to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    /// burn-flex: pure Rust, SIMD and threads, nothing to install.
    #[default]
    Cpu,
    /// burn-cuda on the first GPU; needs the crate's `cuda` feature and an NVIDIA driver.
    Cuda,
}

impl DeviceKind {
    /// The device named by `BURN_DEVICE`, or the CPU when it is unset.
    pub(crate) fn from_env() -> Result<DeviceKind> {
        match std::env::var("BURN_DEVICE") {
            Ok(name) if !name.is_empty() => name.parse(),
            _ => Ok(DeviceKind::Cpu),
        }
    }

    /// The device to train on: `Some(kind)` as asked (an error if it cannot be used); `None`:
    /// `BURN_DEVICE` if set, else the GPU when this build has the `cuda` feature and the
    /// machine a usable NVIDIA GPU, else the CPU. The note says why a `cuda` build trains on
    /// the CPU, as the lecture's `torch.cuda.is_available()` check would.
    pub fn choose(choice: Option<DeviceKind>) -> Result<(DeviceKind, Option<String>)> {
        match choice {
            Some(kind) => Ok((kind, None)),
            None if std::env::var_os("BURN_DEVICE").is_some_and(|v| !v.is_empty()) => {
                Ok((DeviceKind::from_env()?, None))
            }
            None if cfg!(feature = "cuda") => match cuda_probe() {
                Ok(()) => Ok((DeviceKind::Cuda, None)),
                Err(why) => Ok((
                    DeviceKind::Cpu,
                    Some(format!("no usable NVIDIA GPU ({why})")),
                )),
            },
            None => Ok((DeviceKind::Cpu, None)),
        }
    }

    /// Where the tensors are, as the network cell says it: `the CPU`, `cuda:0 (NVIDIA H200)`.
    pub(crate) fn describe(self) -> String {
        match self {
            DeviceKind::Cpu => "the CPU".into(),
            DeviceKind::Cuda => format!("cuda:0 ({})", gpu_name()),
        }
    }

    /// The burn device, with autodiff enabled, or an error saying why there is none.
    pub(crate) fn burn_device(self) -> Result<Device> {
        match self {
            DeviceKind::Cpu => Ok(Device::flex().autodiff()),
            DeviceKind::Cuda => cuda_probe()
                .map(|()| cuda_device())
                .map_err(Error::CudaUnavailable),
        }
    }
}

/// Why there is no GPU to train on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoGpu {
    /// This build has no `cuda` feature.
    NotBuilt,
    /// No NVIDIA driver is loaded.
    NoDriver,
    /// `CUDA_VISIBLE_DEVICES` hides every GPU (its value).
    Hidden(String),
    /// The CUDA runtime did not start; what it said.
    RuntimeFailed(String),
}

impl fmt::Display for NoGpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoGpu::NotBuilt => f.write_str("this build has no GPU support"),
            NoGpu::NoDriver => {
                f.write_str("no NVIDIA driver is loaded: /proc/driver/nvidia is missing")
            }
            NoGpu::Hidden(value) => write!(f, "CUDA_VISIBLE_DEVICES={value:?} hides every GPU"),
            NoGpu::RuntimeFailed(said) => write!(f, "the CUDA runtime did not start: {said}"),
        }
    }
}

impl NoGpu {
    /// What to do about it.
    pub(crate) fn advice(&self) -> &'static str {
        match self {
            NoGpu::NotBuilt => {
                "Rebuild with `--features cuda` on a machine with an NVIDIA driver (see README), or use the CPU."
            }
            _ => "Use the CPU: drop `--device cuda` / unset BURN_DEVICE.",
        }
    }
}

/// What the environment says before any CUDA code runs: a missing driver, or every GPU hidden.
fn gpu_hidden_or_missing() -> Option<NoGpu> {
    if let Ok(value) = std::env::var("CUDA_VISIBLE_DEVICES") {
        let hidden = value.trim();
        if hidden.is_empty() || hidden == "-1" || hidden.eq_ignore_ascii_case("none") {
            return Some(NoGpu::Hidden(value));
        }
    }
    (!std::path::Path::new("/proc/driver/nvidia").exists()).then_some(NoGpu::NoDriver)
}

/// The first GPU's model, as the NVIDIA driver lists it (Linux), without the CUDA toolkit.
fn gpu_name() -> String {
    let model = std::fs::read_dir("/proc/driver/nvidia/gpus")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|gpu| std::fs::read_to_string(gpu.path().join("information")).ok())
        .flat_map(|info| {
            info.lines()
                .filter_map(|l| l.strip_prefix("Model:").map(|m| m.trim().to_string()))
                .collect::<Vec<_>>()
        })
        .next();
    model.unwrap_or_else(|| "NVIDIA GPU".into())
}

/// Whether the first GPU can be used, found out once per process (cubecl starts a device
/// thread for the first GPU, which panics when there is no driver or NVRTC to load; its panic is
/// the answer, so it is caught here, once, rather than at the first tensor of a training loop).
#[cfg(feature = "cuda")]
fn cuda_probe() -> std::result::Result<(), NoGpu> {
    static PROBE: std::sync::OnceLock<std::result::Result<(), NoGpu>> = std::sync::OnceLock::new();
    PROBE
        .get_or_init(|| {
            if let Some(why) = gpu_hidden_or_missing() {
                return Err(why);
            }
            // The panic is the expected answer: keep its message off stderr while probing.
            let hook = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let probe = std::panic::catch_unwind(|| {
                let device = Device::cuda(0);
                let _ = burn::tensor::Tensor::<1>::ones([1], &device).into_data();
            });
            std::panic::set_hook(hook);
            probe.map_err(|panic| {
                let said = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("no message");
                // cubecl's device thread ending early reaches us as a closed channel, which
                // says nothing to a student: say what it means.
                NoGpu::RuntimeFailed(if said.contains("RecvError") {
                    "cubecl's device thread ended before answering: no GPU it could use".into()
                } else {
                    said.to_string()
                })
            })
        })
        .clone()
}

#[cfg(feature = "cuda")]
fn cuda_device() -> Device {
    Device::cuda(0).autodiff()
}

#[cfg(not(feature = "cuda"))]
fn cuda_probe() -> std::result::Result<(), NoGpu> {
    // The environment's reasons still tell a student more than "not built" alone.
    let _ = gpu_hidden_or_missing;
    Err(NoGpu::NotBuilt)
}

#[cfg(not(feature = "cuda"))]
fn cuda_device() -> Device {
    unreachable!("cuda_probe refuses first in a build without the cuda feature")
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceKind::Cpu => "cpu",
            DeviceKind::Cuda => "cuda",
        })
    }
}

impl FromStr for DeviceKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" | "flex" => Ok(DeviceKind::Cpu),
            "cuda" | "gpu" => Ok(DeviceKind::Cuda),
            other => Err(Error::Device {
                name: other.into(),
                reason: "use `cpu` (the default) or `cuda`".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_gpus_are_named_as_the_reason() {
        // No other test of this crate reads the variable.
        // SAFETY: set before any thread of this test reads the environment.
        unsafe { std::env::set_var("CUDA_VISIBLE_DEVICES", "") };
        let why = gpu_hidden_or_missing();
        unsafe { std::env::remove_var("CUDA_VISIBLE_DEVICES") };
        assert_eq!(why, Some(NoGpu::Hidden(String::new())));
        assert_eq!(
            why.unwrap().to_string(),
            "CUDA_VISIBLE_DEVICES=\"\" hides every GPU"
        );
        let error = Error::CudaUnavailable(NoGpu::NotBuilt).to_string();
        assert!(
            error.starts_with("device cuda is not available: no usable NVIDIA GPU (this build has no GPU support).\n  Rebuild with `--features cuda`"),
            "{error}"
        );
    }
}
