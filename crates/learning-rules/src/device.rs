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
    pub fn from_env() -> Result<DeviceKind> {
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
            None if cfg!(feature = "cuda") => match cuda_device() {
                Ok(_) => Ok((DeviceKind::Cuda, None)),
                Err(Error::Device { reason, .. }) => {
                    Ok((DeviceKind::Cpu, Some(first_sentence(&reason).to_string())))
                }
                Err(e) => Err(e),
            },
            None => Ok((DeviceKind::Cpu, None)),
        }
    }

    /// Where the tensors are, as the network cell says it: `the CPU`, `cuda:0 (NVIDIA H200)`.
    pub fn describe(self) -> String {
        match self {
            DeviceKind::Cpu => "the CPU".into(),
            DeviceKind::Cuda => format!("cuda:0 ({})", gpu_name()),
        }
    }

    /// The burn device, with autodiff enabled, or an error saying why there is none.
    pub fn burn_device(self) -> Result<Device> {
        match self {
            DeviceKind::Cpu => Ok(Device::flex().autodiff()),
            DeviceKind::Cuda => cuda_device(),
        }
    }
}

/// The reason up to its first full stop: the note "no usable NVIDIA GPU (…)" needs no advice
/// after it.
fn first_sentence(reason: &str) -> &str {
    reason.split(". ").next().unwrap_or(reason)
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

#[cfg(feature = "cuda")]
fn cuda_device() -> Result<Device> {
    let unusable = |why: &str| Error::Device {
        name: "cuda".into(),
        reason: format!(
            "no usable NVIDIA GPU ({why}). Use the CPU: drop `--device cuda` / unset BURN_DEVICE."
        ),
    };
    // Without a driver cubecl's device thread panics and ours sees only a closed channel.
    if !std::path::Path::new("/proc/driver/nvidia").exists() {
        return Err(unusable(
            "no NVIDIA driver is loaded: /proc/driver/nvidia is missing",
        ));
    }
    // cubecl panics when no driver or NVRTC can be loaded: turn that into an error now,
    // rather than at the first tensor operation inside a training loop.
    // The panic is the expected answer here: keep its message out of stderr, report it below.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let probe = std::panic::catch_unwind(|| {
        let device = Device::cuda(0);
        let probe = burn::tensor::Tensor::<1>::ones([1], &device);
        let _ = probe.into_data();
        device.autodiff()
    });
    std::panic::set_hook(hook);
    probe.map_err(|panic| {
        unusable(
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("the CUDA runtime failed to start"),
        )
    })
}

#[cfg(not(feature = "cuda"))]
fn cuda_device() -> Result<Device> {
    Err(Error::Device {
        name: "cuda".into(),
        reason: "this build has no GPU support. Rebuild with `--features cuda` on a machine with \
                 an NVIDIA driver and network access (see README), or use the CPU."
            .into(),
    })
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
